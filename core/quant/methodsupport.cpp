#include "core/quant/methodsupport.h"

#include "core/errors.h"
#include "core/model/modelconfig.h"
#include "core/quant/method.h"
#include "core/quant/quantizedlayer.h"

#include <algorithm>
#include <string>

namespace ol {

void foldSmoothing(const LayerContext& ctx, QuantizedLayer& layer, double alpha) {
    auto r = applySmoothing(layer.weights, *ctx.config, ctx.actScales, alpha);
    layer.smoothing = r.scales;
    // GQA: o_proj's input cannot be folded into v_proj's rows; it is divided online.
    if (r.onlineOutDivisor.defined()) layer.input(Site::AttnOutput).steps.push_back(TransformStep::scale(r.onlineOutDivisor));
}

nlohmann::json smoothingParameters(const nlohmann::json& params) {
    nlohmann::json out = nlohmann::json::object();
    for (const char* key : {"smooth", "alpha"})
        if (params.contains(key)) out[key] = params.at(key);
    return out;
}

std::int64_t defaultBlockSize(const ModelConfig& c) {
    return std::min({c.hiddenSize, c.numHeads * c.headDim, c.intermediateSize}) >= 128 ? 128 : 4;
}

void checkRotationFits(const ModelConfig& c, std::int64_t bs, bool queryKeyHadamard) {
    const auto smallest = std::min({c.hiddenSize, c.numHeads * c.headDim, c.intermediateSize});
    if (bs > smallest)
        throw UsageError("`block_size` " + std::to_string(bs) + " is larger than the " + std::to_string(smallest) +
                         " input channels of this model's smallest linear; use at most " + std::to_string(smallest));
    if (queryKeyHadamard && (c.headDim & (c.headDim - 1)) != 0)
        throw UsageError("the Q/K Hadamard needs a power-of-two head_dim, this model has " + std::to_string(c.headDim) +
                         "; pass `qk_hadamard=false`");
}

} // namespace ol
