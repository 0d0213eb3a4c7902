#include "quant/lwctrainer.h"

#include "errors.h"
#include "jobs/progress.h"
#include "quant/adamw.h"
#include "quant/layerquantizer.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <cmath>

namespace ol {

double trainLwc(LayerQuantizer& q, const LwcOptions& o, Progress* progress) {
    const auto& ctx = q.context();
    if (!ctx.sampleInputs.defined() || !ctx.sampleTargets.defined())
        throw UsageError("--lwc with --epochs > 0 needs the calibration samples (internal: none were given)");
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
    AdamW opt(params, o.lr, o.weightDecay);
    const auto n = ctx.sampleInputs.size(0);
    double lastMean = 0;
    for (int epoch = 0; epoch < o.epochs; ++epoch) {
        std::vector<at::Tensor> snapshot;
        for (const auto& p : params) snapshot.push_back(p.detach().clone());
        double sum = 0;
        bool broke = false;
        for (std::int64_t i = 0; i < n; ++i) {
            if (progress) {
                progress->checkCancelled();
                progress->report((epoch * n + i) / double(o.epochs * n),
                                 "LWC epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs));
            }
            q.quantizeWeights(factors, false);
            auto out = q.forward(ctx.sampleInputs.narrow(0, i, 1));
            auto loss = at::mse_loss(out.to(at::kFloat), ctx.sampleTargets.narrow(0, i, 1).to(at::kFloat));
            const double l = loss.item<double>();
            if (!std::isfinite(l)) {
                broke = true;
                break;
            }
            sum += l;
            opt.zeroGrad();
            loss.backward();
            opt.step();
        }
        bool bad = false;
        for (const auto& p : params) bad = bad || !at::isfinite(p).all().item<bool>();
        if (bad) {
            at::NoGradGuard noGrad;
            for (std::size_t k = 0; k < params.size(); ++k) params[k].copy_(snapshot[k]);
        }
        lastMean = broke ? NAN : sum / double(n);
    }
    {
        at::NoGradGuard noGrad;
        std::map<std::string, LwcFactors> fixed;
        for (auto& [m, f] : factors) fixed[m] = {f.up.detach(), f.low.detach()};
        q.quantizeWeights(fixed, true);
    }
    return lastMean;
}

} // namespace ol
