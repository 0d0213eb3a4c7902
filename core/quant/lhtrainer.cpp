#include "core/quant/lhtrainer.h"

#include "core/errors.h"
#include "core/progress.h"
#include "core/quant/blocktrainer.h"
#include "core/quant/layerquantizer.h"

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
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
        throw UsageError("`lh` needs calibration data (per-sample layer inputs and FP targets); none were given");
    at::AutoGradMode grad(true);
    std::vector<at::Tensor> params;
    for (Site s : kLinearInputs) {
        auto* step = q.layer().input(s).find(StepKind::Householder);
        if (!step) continue; // global_householder off, or a degenerate ω at this site
        auto& h = step->vector;
        h = h.detach().to(at::kFloat).clone().set_requires_grad(true);
        params.push_back(h);
    }
    const double lastMean = trainBlockOutput(q, params,
                                             {"LH", o.epochs, o.lr, 0.0,
                                              [&] {
                                                  for (auto& p : params) truncate(p);
                                                  // The weights follow ω: W·diag(s)·M·H(ω), fake-quantized with STE.
                                                  q.refreshTransformedWeights();
                                                  q.quantizeWeights({}, false);
                                              }},
                                             progress);
    at::NoGradGuard noGrad;
    for (Site s : kLinearInputs)
        if (auto* step = q.layer().input(s).find(StepKind::Householder)) step->vector = step->vector.detach();
    q.refreshTransformedWeights();
    q.quantizeWeights({}, true);
    return lastMean;
}

} // namespace ol
