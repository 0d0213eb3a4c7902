#pragma once
// Learnable weight clipping (algorithms.md §1.10): per output channel factors
// u, l (init 4, σ(4) ≈ 0.982) clip the transformed weight's range to
// [xmin·σ(l), xmax·σ(u)]; trained with AdamW on the MSE between the FP
// layer's output and the quantized layer's output, one sample per step.
#include <map>
#include <string>

namespace ol {

class LayerQuantizer;
class Progress;

struct LwcOptions {
    int epochs = 20;
    double lr = 1e-2;
    double weightDecay = 0.0;
    double init = 4.0;
};

// Trains on context().sampleInputs / sampleTargets, then re-quantizes the layer's weights with the
// learned factors. Returns the last epoch's mean loss. A non-finite loss ends the epoch and
// restores the factors of the epoch start, as the reference does.
double trainLwc(LayerQuantizer& quantizer, const LwcOptions& options, Progress* progress);

} // namespace ol
