#include "core/quant/pipeline.h"

#include "core/calib/calibrationdata.h"
#include "core/calib/calibrator.h"
#include "core/calib/sitestatistics.h"
#include "core/errors.h"
#include "core/faultpoint.h"
#include "core/io/hash.h"
#include "core/model/checkpoint.h"
#include "core/model/decoderlayer.h"
#include "core/model/llamamodel.h"
#include "core/progress.h"
#include "core/quant/rotationstream.h"
#include "core/quant/runstore.h"

#include <ATen/ATen.h>
#include <chrono>
#include <memory>

namespace ol {

std::vector<LayerActScales> actScalesFromStatistics(const std::vector<SiteStatistics>& sites, int numLayers) {
    std::vector<LayerActScales> out(numLayers);
    for (const auto& s : sites) {
        if (s.layer < 0 || s.layer >= numLayers) continue;
        auto& a = out[s.layer];
        switch (s.site) {
        case Site::AttnInput: a.attnIn = s.actScales; break;
        case Site::AttnOutput: a.oIn = s.actScales; break;
        case Site::MlpInput: a.mlpIn = s.actScales; break;
        case Site::DownInput: a.downIn = s.actScales; break;
        default: break;
        }
    }
    for (int i = 0; i < numLayers; ++i)
        if (!out[i].attnIn.defined() || !out[i].oIn.defined() || !out[i].mlpIn.defined() || !out[i].downIn.defined())
            throw FormatError("calibration statistics lack the act_scales of layer " + std::to_string(i));
    return out;
}

nlohmann::json runManifest(const LlamaModel& model, const CalibrationData& data, const QuantMethod& method,
                           const PipelineOptions& o) {
    nlohmann::json m;
    m["format"] = "outlierlab-quantization-run";
    m["format_version"] = kRunFormatVersion;
    m["model_path"] = model.checkpoint().path();
    m["tokenizer_path"] = model.checkpoint().tokenizerPath();
    m["model_fingerprint"] = model.checkpoint().fingerprint();
    m["calibration_fingerprint"] = data.fingerprint;
    m["calibration"] = {{"nsamples", data.settings.nsamples}, {"seqlen", data.settings.seqlen}, {"seed", data.settings.seed}};
    m["method"] = method.name();
    m["parameters"] = method.parameters();
    m["settings"] = o.settings.toJson();
    m["seed"] = o.seed;
    m["num_layers"] = model.numLayers();
    m["dtype"] = std::string(c10::toString(model.dtype()));
    // Runs of earlier versions drew per-site seeds even under --reference_compat: the marker keeps them apart.
    if (method.drawsFromRunStream()) m["random_draws"] = "run-stream";
    Fnv64 h;
    for (const auto* key : {"model_fingerprint", "calibration_fingerprint", "method", "parameters", "settings", "seed", "dtype"})
        h.add(m[key].dump());
    if (m.contains("random_draws")) h.add(m["random_draws"].dump());
    m["fingerprint"] = h.hex();
    return m;
}

namespace {

double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Runs [n, T, H] through one layer in batches into a tensor of the same shape (in RAM or spilled);
// each batch's pages are released once written, so a spilled set never becomes resident as a whole.
at::Tensor batched(const at::Tensor& x, std::int64_t batch, const SpillPolicy& spill,
                   const std::function<at::Tensor(const at::Tensor&)>& f) {
    auto out = allocateActivations(x.sizes().vec(), x.scalar_type(), spill, x.device());
    for (std::int64_t i = 0; i < x.size(0); i += batch) {
        const std::int64_t m = std::min(batch, x.size(0) - i);
        out.narrow(0, i, m).copy_(f(x.narrow(0, i, m)));
        releaseResident(x.narrow(0, i, m));
        releaseResident(out.narrow(0, i, m));
    }
    return out;
}

// The mean over windows [1, T, H]. A spilled set is averaged a slice of positions at a time (each
// position's mean is independent of the others), so that it never becomes resident as a whole.
at::Tensor meanOverWindows(const at::Tensor& x) {
    if (!isSpilled(x)) return x.mean(0, true);
    const std::int64_t T = x.size(1),
                       step = std::max<std::int64_t>(1, (16ll << 20) / std::max<std::int64_t>(1, x.size(0) * x.size(2)));
    std::vector<at::Tensor> parts;
    for (std::int64_t t = 0; t < T; t += step) {
        const std::int64_t m = std::min(step, T - t);
        parts.push_back(x.narrow(1, t, m).mean(0, true));
        for (std::int64_t w = 0; w < x.size(0); ++w) releaseResident(x.select(0, w).narrow(0, t, m));
    }
    return at::cat(parts, 1);
}

c10::Device deviceOfLayer(const PipelineOptions& o, int layer, int numLayers) {
    const auto n = static_cast<int>(o.devices.size());
    return o.devices[std::min(n - 1, layer * n / std::max(1, numLayers))];
}

} // namespace

QuantizationResult runQuantization(const LlamaModel& model, const CalibrationData& data,
                                   const std::vector<LayerActScales>& actScales, const QuantMethod& method,
                                   const PipelineOptions& o, Progress* progress,
                                   const std::function<void(const QuantizedLayer&, const LayerReport&)>& onLayer) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto& config = model.config();
    const int L = model.numLayers();
    o.settings.validate(config);
    method.validate(config, o.settings);
    if (static_cast<int>(actScales.size()) != L)
        throw UsageError("calibration statistics cover " + std::to_string(actScales.size()) + " layers, the model has " +
                         std::to_string(L));
    if (o.devices.empty()) throw UsageError("no device to quantize on");
    at::NoGradGuard noGrad;

    QuantizationResult result;
    result.manifest = runManifest(model, data, method, o);
    std::unique_ptr<RunStore> store;
    if (!o.saveDir.empty())
        store = std::make_unique<RunStore>(o.saveDir, result.manifest, o.resume);
    else if (o.resume)
        throw UsageError("`resume` needs `save_dir` (the directory of the run to continue)");
    if (!o.keepLayers && !store) throw UsageError("layers that leave memory need a run store (`save_dir`)");

    // Layer-0 inputs of every calibration window.
    auto tokens =
        at::from_blob(const_cast<std::int32_t*>(data.tokens.data()), {data.settings.nsamples, data.settings.seqlen}, at::kInt)
            .to(at::kLong);
    auto inputs = embedWindows(model, tokens, std::max<std::int64_t>(1, o.batchSize), o.spill);
    // DuQuant calibrates every transform on one "average sequence" (algorithms.md §1.5).
    auto carry = meanOverWindows(inputs);
    const bool train = method.needsTraining(o.settings);
    const bool samples = train || method.needsSampleInputs(o.settings);
    at::Tensor quantInputs = samples ? inputs : at::Tensor(), fpInputs = train ? inputs : at::Tensor();
    inputs = at::Tensor();

    RotationStream stream(o.seed);
    const int resumed = store ? store->completedLayers() : 0;
    result.resumedLayers = resumed;
    for (int i = 0; i < resumed && i < L; ++i) {
        if (progress) {
            progress->checkCancelled();
            progress->report(double(i) / L,
                             "layer " + std::to_string(i + 1) + "/" + std::to_string(L) + ": loading finished layer");
        }
        const auto device = deviceOfLayer(o, i, L);
        QuantizedLayer finished = store->loadLayer(i, config, device);
        result.reports.push_back(store->loadReport(i));
        stream.replay(result.reports.back().rotationDraws);
        if (samples) {
            // Replays the finished layers: the same functions as the original run, so bit-identical inputs.
            if (train) {
                const auto fp = model.layer(i).to(device, model.dtype());
                fpInputs = batched(fpInputs.to(device), o.batchSize, o.spill,
                                   [&](const at::Tensor& x) { return decoderLayerForward(fp, config, x, i, nullptr); });
            }
            QuantizedActivationHook hook;
            hook.setLayer(i, &finished);
            quantInputs = batched(quantInputs.to(device), o.batchSize, o.spill, [&](const at::Tensor& x) {
                return decoderLayerForward(finished.weights, config, x, i, &hook);
            });
        }
        if (onLayer) onLayer(finished, result.reports.back());
        if (o.keepLayers) result.layers.push_back(std::move(finished));
    }
    if (resumed > 0) carry = store->loadCarry(std::min(resumed, L) - 1).to(model.device());

    for (int i = resumed; i < L; ++i) {
        const auto device = deviceOfLayer(o, i, L);
        const std::string prefix = "layer " + std::to_string(i + 1) + "/" + std::to_string(L) + ": ";
        if (progress) {
            progress->checkCancelled();
            progress->report(double(i) / L, prefix + "calibrating transforms");
        }
        NullProgress silent;
        SubProgress layerProgress(progress ? *progress : silent, double(i) / L, double(i + 1) / L, prefix);
        LayerContext ctx;
        ctx.layer = i;
        ctx.config = &config;
        ctx.settings = &o.settings;
        ctx.actScales = actScales[i];
        ctx.seed = o.seed;
        if (method.drawsFromRunStream()) ctx.rotationStream = &stream;
        ctx.progress = progress ? &layerProgress : nullptr;
        at::Tensor fpOutputs;
        if (samples) {
            quantInputs = quantInputs.to(device);
            ctx.sampleInputs = quantInputs;
        }
        // The FP layer lives only until the quantizer has its own copy: one layer less at the peak.
        LayerQuantizer q = [&] {
            const auto fp = model.layer(i).to(device, model.dtype());
            if (train) {
                fpInputs = fpInputs.to(device);
                fpOutputs = batched(fpInputs, o.batchSize, o.spill,
                                    [&](const at::Tensor& x) { return decoderLayerForward(fp, config, x, i, nullptr); });
                ctx.sampleTargets = fpOutputs;
            }
            return LayerQuantizer(method, ctx, fp);
        }();
        carry = q.calibrate(carry.to(device));
        q.report().rotationDraws = stream.takeLog();
        faultPoint("layer");
        if (train) {
            const auto tt = std::chrono::steady_clock::now();
            {
                at::AutoGradMode grad(true);
                method.train(ctx, q.layer(), q);
            }
            q.report().seconds.train += since(tt);
            fpInputs = fpOutputs;
        }
        if (samples) {
            quantInputs = batched(quantInputs, o.batchSize, o.spill, [&](const at::Tensor& x) { return q.forward(x); });
        }
        if (store) {
            const auto ts = std::chrono::steady_clock::now();
            q.report().seconds.save = 0;
            store->save(q.layer(), q.report(), carry);
            q.report().seconds.save = since(ts);
        }
        result.reports.push_back(q.report());
        if (onLayer) onLayer(q.layer(), result.reports.back());
        if (o.keepLayers) result.layers.push_back(std::move(q.layer()));
    }
    if (progress) progress->report(1.0, "quantized " + std::to_string(L) + " layers");
    result.seconds = since(t0);
    return result;
}

} // namespace ol
