#include "core/quant/lwctrainer.h"

#include "core/errors.h"
#include "core/progress.h"
#include "core/quant/blocktrainer.h"
#include "core/quant/layerquantizer.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

namespace ol {

double trainLwc(LayerQuantizer& q, const LwcOptions& o, Progress* progress) {
    const auto& ctx = q.context();
    if (!ctx.sampleInputs.defined() || !ctx.sampleTargets.defined())
        throw UsageError("`lwc` with `epochs` > 0 needs the calibration samples (internal: none were given)");
    at::AutoGradMode grad(true);
    std::map<std::string, LwcFactors> factors;
    std::vector<at::Tensor> params;
    for (const auto& m : linearModules()) {
        const auto& w = q.transformedWeight(m);
        const auto spec = ctx.settings->weightSpec();
        const std::int64_t groups = spec.groupSize > 0 ? w.size(1) / spec.groupSize : 1;
        auto opts = at::TensorOptions().dtype(at::kFloat).device(w.device());
        LwcFactors f{at::full({w.size(0), groups}, o.init, opts), at::full({w.size(0), groups}, o.init, opts)};
        f.up.set_requires_grad(true);
        f.low.set_requires_grad(true);
        params.push_back(f.up);
        params.push_back(f.low);
        factors[m] = f;
    }
    const double lastMean =
        trainBlockOutput(q, params, {"LWC", o.epochs, o.lr, o.weightDecay, [&] { q.quantizeWeights(factors, false); }}, progress);
    {
        at::NoGradGuard noGrad;
        std::map<std::string, LwcFactors> fixed;
        for (auto& [m, f] : factors) fixed[m] = {f.up.detach(), f.low.detach()};
        q.quantizeWeights(fixed, true);
    }
    return lastMean;
}

} // namespace ol
