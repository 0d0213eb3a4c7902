#pragma once
// Learnable Householder fine-tuning (RUQuant --lh, algorithms.md §2.4): the
// four global Householder vectors ω of a layer (one per linear input, shared by
// its consumers) are trained with AdamW on the block-output MSE, through the
// activation reflection and the reflected, fake-quantized (STE) weights.
// Rotations and permutations stay fixed.

namespace ol {

class LayerQuantizer;
class Progress;

struct LhOptions {
    int epochs = 20;
    double lr = 1e-2;
};

// Trains the ω of q.layer() on context().sampleInputs / sampleTargets, then re-quantizes the weights
// with the trained ω. Returns the last epoch's mean loss (NaN when it broke off). A non-finite loss
// ends the epoch and restores the ω of the epoch start, as LWC does.
// UsageError when no calibration samples were given.
double trainLh(LayerQuantizer& q, const LhOptions& options, Progress* progress);

} // namespace ol
