#include "quant/lhtrainer.h"

#include "errors.h"
#include "jobs/progress.h"
#include "quant/adamw.h"
#include "quant/layerquantizer.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <cmath>
#include <vector>

namespace ol {

namespace {

// The reference's "truncate": 0 < |ω_i| < 0.01 → ±0.01 (exact zeros stay 0), keeping ω̂ away from tiny entries.
void truncate(at::Tensor& w) {
    at::NoGradGuard noGrad;
    const auto a = w.abs();
    w.copy_(at::where((a > 0) & (a < 0.01), w.sign() * 0.01, w));
}

} // namespace

double trainLh(LayerQuantizer& q, const LhOptions& o, Progress* progress) {
    const auto& ctx = q.context();
    if (!ctx.sampleInputs.defined() || !ctx.sampleTargets.defined())
        throw UsageError("--lh needs calibration data (per-sample layer inputs and FP targets); none were given");
    at::AutoGradMode grad(true);
    std::vector<at::Tensor> params;
    for (Site s : kLinearInputs) {
        auto* step = q.layer().input(s).find(StepKind::Householder);
        if (!step) continue; // global_householder off, or a degenerate ω at this site
        auto& h = step->vector;
        h = h.detach().to(at::kFloat).clone().set_requires_grad(true);
        params.push_back(h);
    }
    AdamW opt(params, o.lr);
    const auto n = ctx.sampleInputs.size(0);
    double lastMean = 0;
    for (int epoch = 0; epoch < o.epochs && !params.empty(); ++epoch) {
        std::vector<at::Tensor> snapshot;
        for (const auto& p : params) snapshot.push_back(p.detach().clone());
        double sum = 0;
        bool broke = false;
        for (std::int64_t i = 0; i < n; ++i) {
            if (progress) {
                progress->checkCancelled();
                progress->report((epoch * n + i) / double(o.epochs * n),
                                 "LH epoch " + std::to_string(epoch + 1) + "/" + std::to_string(o.epochs));
            }
            for (auto& p : params) truncate(p);
            // The weights follow ω: W·diag(s)·M·H(ω), fake-quantized with STE.
            q.refreshTransformedWeights();
            q.quantizeWeights({}, false);
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
    at::NoGradGuard noGrad;
    for (Site s : kLinearInputs)
        if (auto* step = q.layer().input(s).find(StepKind::Householder)) step->vector = step->vector.detach();
    q.refreshTransformedWeights();
    q.quantizeWeights({}, true);
    return lastMean;
}

} // namespace ol
