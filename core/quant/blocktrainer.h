#pragma once
// The block-output training loop that learnable weight clipping (LWC) and the
// learnable Householder vectors (RUQuant --lh) share: AdamW over the given
// parameters, one calibration sample per step, the MSE between the quantized
// layer's output and the FP layer's (the targets). A non-finite loss ends the
// epoch and restores the parameters of its start, as the reference does.
#include <ATen/core/Tensor.h>

#include <functional>
#include <string>
#include <vector>

namespace ol {

class LayerQuantizer;
class Progress;

struct BlockTraining {
    std::string label; // "LWC", "LH": in progress messages
    int epochs = 20;
    double lr = 1e-2, weightDecay = 0.0;
    // Before each step: bring the layer's weights in line with the current parameters (differentiably).
    std::function<void()> beforeStep;
};

// Trains `params` (leaf tensors that require grad) on q.context()'s sampleInputs and sampleTargets; returns
// the last epoch's mean loss (NaN when it broke off). Nothing happens without parameters.
double trainBlockOutput(LayerQuantizer& q, const std::vector<at::Tensor>& params, const BlockTraining& training,
                        Progress* progress);

} // namespace ol
