#include "core/quant/blocktrainer.h"

#include "core/progress.h"
#include "core/quant/adamw.h"
#include "core/quant/layerquantizer.h"

#include <ATen/ATen.h>
#include <cmath>

namespace ol {

double trainBlockOutput(LayerQuantizer& q, const std::vector<at::Tensor>& params, const BlockTraining& t, Progress* progress) {
    const auto& ctx = q.context();
    AdamW opt(params, t.lr, t.weightDecay);
    const auto n = ctx.sampleInputs.size(0);
    double lastMean = 0;
    for (int epoch = 0; epoch < t.epochs && !params.empty(); ++epoch) {
        std::vector<at::Tensor> snapshot;
        snapshot.reserve(params.size());
        for (const auto& p : params) snapshot.push_back(p.detach().clone());
        double sum = 0;
        bool broke = false;
        for (std::int64_t i = 0; i < n; ++i) {
            if (progress) {
                progress->checkCancelled();
                progress->report((epoch * n + i) / double(t.epochs * n),
                                 t.label + " epoch " + std::to_string(epoch + 1) + "/" + std::to_string(t.epochs));
            }
            t.beforeStep();
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
    return lastMean;
}

} // namespace ol
