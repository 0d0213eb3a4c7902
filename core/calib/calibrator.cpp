#include "core/calib/calibrator.h"

#include "core/calib/statisticshook.h"
#include "core/faultpoint.h"
#include "core/model/decoderlayer.h"
#include "core/model/llamamodel.h"
#include "core/progress.h"

#include <ATen/ATen.h>
#include <chrono>

namespace ol {

at::Tensor embedWindows(const LlamaModel& model, const at::Tensor& tokens, std::int64_t batch, const SpillPolicy& spill) {
    const std::int64_t n = tokens.size(0), T = tokens.size(1);
    auto out = allocateActivations({n, T, model.config().hiddenSize}, model.dtype(), spill, model.device());
    for (std::int64_t i = 0; i < n; i += batch) {
        const std::int64_t m = std::min(batch, n - i);
        out.narrow(0, i, m).copy_(model.embed(tokens.narrow(0, i, m)));
        releaseResident(out.narrow(0, i, m));
    }
    return out;
}

CalibrationResult runCalibration(const LlamaModel& model, const CalibrationData& data, const CalibrationOptions& o,
                                 Progress* progress, const std::function<void(const std::vector<SiteStatistics>&)>& onLayer) {
    const auto start = std::chrono::steady_clock::now();
    at::NoGradGuard noGrad;
    const std::int64_t n = data.settings.nsamples, T = data.settings.seqlen;
    auto tokens = at::from_blob(const_cast<std::int32_t*>(data.tokens.data()), {n, T}, at::kInt).to(at::kLong);
    const std::int64_t batch = std::max<std::int64_t>(1, o.batchSize);

    // Every window's hidden state, in RAM or in a spill file; each batch's pages are released once used.
    const std::vector<std::int64_t> shape{n, T, model.config().hiddenSize};
    at::Tensor hidden = embedWindows(model, tokens, batch, o.spill);
    StatisticsHook hook(o.accumulator);
    CalibrationResult result;
    const int layers = model.numLayers();
    for (int i = 0; i < layers; ++i) {
        const LayerWeights w = model.layer(i);
        auto next = allocateActivations(shape, model.dtype(), o.spill, model.device());
        for (std::int64_t b = 0; b < n; b += batch) {
            if (progress) {
                progress->checkCancelled();
                progress->report((i + static_cast<double>(b) / n) / layers, "layer " + std::to_string(i + 1) + "/" +
                                                                                std::to_string(layers) + ", window " +
                                                                                std::to_string(b + 1) + "/" + std::to_string(n));
            }
            const std::int64_t m = std::min(batch, n - b);
            hook.setFirstWindow(b);
            next.narrow(0, b, m).copy_(decoderLayerForward(w, model.config(), hidden.narrow(0, b, m), i, &hook));
            releaseResident(hidden.narrow(0, b, m));
            releaseResident(next.narrow(0, b, m));
            faultPoint("calibration");
        }
        hidden = next;
        auto stats = hook.takeLayer(i);
        if (onLayer) onLayer(stats);
        if (o.gatherStatistics)
            for (auto& s : stats) result.sites.push_back(std::move(s));
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (progress) progress->report(1.0, "calibrated " + std::to_string(layers) + " layers");
    return result;
}

} // namespace ol
