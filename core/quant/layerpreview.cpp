#include "core/quant/layerpreview.h"

#include "core/errors.h"
#include "core/model/layerweights.h"
#include "core/model/modelconfig.h"
#include "core/progress.h"
#include "core/quant/layerquantizer.h"
#include "core/quant/method.h"
#include "core/quant/quantizedlayer.h"
#include "core/quant/smoothing.h"

#include <ATen/ATen.h>
#include <algorithm>
#include <chrono>
#include <cmath>

namespace ol {

namespace {

constexpr int kHistogramBins = 64;

std::vector<float> toVector(const at::Tensor& t) {
    auto c = t.to(at::kFloat).contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

double kurtosis(const at::Tensor& x) {
    const auto d = x.to(at::kDouble).flatten();
    const auto centred = d - d.mean();
    const double var = centred.pow(2).mean().item<double>();
    return var > 0 ? centred.pow(4).mean().item<double>() / (var * var) : 0.0;
}

// Statistics of one side; the histogram uses the shared edges.
PreviewSide describe(const at::Tensor& x, const at::Tensor& edges) {
    PreviewSide s;
    const auto absx = x.abs();
    const auto channelAbsmax = absx.amax(0);
    s.channelAbsmax = toVector(channelAbsmax);
    s.tokenMin = toVector(x.amin(1));
    s.tokenMax = toVector(x.amax(1));
    s.absmax = absx.max().item<double>();
    s.medianChannelAbsmax = channelAbsmax.to(at::kDouble).median().item<double>();
    s.kurtosis = kurtosis(x);
    s.surfaceTokens = std::min(x.size(0), PreviewSide::kSurfaceTokens);
    s.surfaceChannels = std::min(x.size(1), PreviewSide::kSurfaceChannels);
    const auto pooled = std::get<0>(at::adaptive_max_pool2d(absx.unsqueeze(0), {s.surfaceTokens, s.surfaceChannels}));
    s.surface = toVector(pooled.squeeze(0));
    const auto logs = at::log10(absx.to(at::kDouble).flatten().clamp_min(1e-30));
    const int bins = static_cast<int>(edges.numel()) - 1;
    const double lo = edges[0].item<double>(), hi = edges[bins].item<double>();
    const auto counts = at::histc(logs.clamp(lo, hi), bins, lo, hi);
    const double total = static_cast<double>(x.numel());
    auto c = counts.contiguous();
    for (int i = 0; i < bins; ++i) s.histogramCounts.push_back(c.data_ptr<double>()[i] / total);
    auto e = edges.contiguous();
    s.histogramEdges.assign(e.data_ptr<double>(), e.data_ptr<double>() + e.numel());
    return s;
}

// log10|x| edges covering both sides: from ~8 decades below the largest value (tiny values pile into the
// first bin) to the largest value.
at::Tensor sharedEdges(const at::Tensor& a, const at::Tensor& b) {
    const double top = std::max(a.abs().max().item<double>(), b.abs().max().item<double>());
    const double hi = std::ceil(std::log10(std::max(top, 1e-30)) * 4.0) / 4.0;
    auto nonzero = [](const at::Tensor& t) {
        const auto v = t.abs().flatten();
        const auto nz = v.masked_select(v > 0);
        return nz.numel() ? nz.min().item<double>() : 1e-30;
    };
    const double smallest = std::min(nonzero(a), nonzero(b));
    const double lo = std::max(std::floor(std::log10(smallest) * 4.0) / 4.0, hi - 8.0);
    return at::linspace(lo, hi == lo ? lo + 1 : hi, kHistogramBins + 1, at::kDouble);
}

at::Tensor sampleIndex(std::int64_t rows, std::int64_t maxRows) {
    if (maxRows <= 0 || rows <= maxRows) return at::arange(rows, at::kLong);
    return at::linspace(0, static_cast<double>(rows - 1), maxRows, at::kDouble).round().to(at::kLong);
}

std::string describeTransform(const QuantizedLayer& layer, Site site, const SiteTransform& t) {
    std::string out = layer.smoothing.count(smoothingPair(site)) && !t.find(StepKind::Scale) ? "smoothing" : "";
    const auto steps = t.describe();
    if (!steps.empty()) out += (out.empty() ? "" : " + ") + steps;
    return out.empty() ? "none (identity)" : out;
}

} // namespace

LayerWeights previewProbe(const LayerWeights& fp) {
    LayerWeights probe = fp;
    for (const auto& m : linearModules()) probe.linear(m) = std::get<0>(fp.linear(m).abs().max(0, true));
    return probe;
}

LayerPreview computeLayerPreview(const QuantMethod& method, const PreviewInput& in, Progress* progress) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!isLinearInput(in.site)) throw UsageError(std::string("preview: site ") + siteKey(in.site) + " is not a linear input");
    if (!in.config || !in.weights || !in.sample.defined() || in.sample.dim() != 2)
        throw UsageError("preview: no activation sample or weights for layer " + std::to_string(in.layer));
    in.settings.validate(*in.config);
    method.validate(*in.config, in.settings);

    LayerContext ctx;
    ctx.layer = in.layer;
    ctx.config = in.config;
    ctx.settings = &in.settings;
    ctx.actScales = in.actScales;
    ctx.seed = in.seed;
    ctx.progress = progress;

    // The pipeline's per-site code on a layer made of probes (or the whole FP layer): prepare(), the method's
    // SiteTransform from the activation that reaches the site, the hook's activation quantization and the
    // layer quantizer's weight quantization (layout, clusters, integer grid), on sampled weight rows.
    QuantizedLayer layer;
    layer.index = in.layer;
    layer.activation = in.settings.activationSpec();
    // prepare() replaces tensors (folds are out of place): shallow copies never touch the caller's weights.
    LayerWeights probe;
    if (in.useProbe && !in.probe) probe = previewProbe(*in.weights);
    layer.weights = in.useProbe ? (in.probe ? *in.probe : probe) : *in.weights;
    method.prepare(ctx, layer);
    if (progress) progress->checkCancelled();

    // What reaches the site in the pipeline: the FP activation with the smoothing folded upstream divided
    // out (an online divisor is a step of the site's transform instead).
    const auto x = in.sample.to(at::kFloat);
    auto& transform = layer.input(in.site);
    at::Tensor reaching = x;
    if (auto it = layer.smoothing.find(smoothingPair(in.site)); it != layer.smoothing.end() && !transform.find(StepKind::Scale))
        reaching = x / it->second.to(at::kFloat);
    if (!in.firstStage) transform = method.transformFor(ctx, in.site, reaching, std::move(transform));
    if (progress) progress->checkCancelled();
    at::Tensor after;
    const auto quantizedAfter = QuantizedActivationHook::quantizeLinearInput(layer, in.site, reaching, &after);
    // "Before": no method at all, through the same code (an empty transform).
    QuantizedLayer plain;
    plain.activation = layer.activation;
    const auto quantizedBefore = QuantizedActivationHook::quantizeLinearInput(plain, in.site, x);

    LayerPreview p;
    p.layer = in.layer;
    p.site = in.site;
    p.method = method.name();
    p.parameters = method.parameters();
    p.settingsLabel = in.settings.label();
    p.tokens = x.size(0);
    p.channels = x.size(1);
    p.transform = describeTransform(layer, in.site, transform);
    p.firstStage = in.firstStage;

    const auto edges = sharedEdges(x, after);
    p.before = describe(x, edges);
    p.after = describe(after, edges);
    p.before.activation = quantError(x, quantizedBefore);
    p.after.activation = quantError(after, quantizedAfter);

    const auto wspec = in.settings.weightSpec();
    const bool outOnline = layer.input(Site::AttnOutput).find(StepKind::Scale) != nullptr;
    std::vector<at::Tensor> fpRows, transformedRows, qBefore, qAfter;
    for (const auto& m : consumersOf(in.site)) {
        const auto& fp = in.weights->linear(m);
        p.weightRowsTotal += fp.size(0);
        const auto index = sampleIndex(fp.size(0), in.maxWeightRows);
        const auto rows = fp.index_select(0, index).to(at::kFloat);
        fpRows.push_back(rows);
        qBefore.push_back(quantizeSiteWeight(rows, wspec, SiteTransform{}, {}, true).forward);
        const auto folded = in.useProbe ? smoothedWeight(m, rows, layer.smoothing, outOnline, index)
                                        : layer.weights.linear(m).index_select(0, index).to(at::kFloat);
        transformedRows.push_back(transform.applyToWeight(folded));
        qAfter.push_back(quantizeSiteWeight(transformedRows.back(), wspec, transform, {}, true).forward);
    }
    const auto wBefore = at::cat(fpRows), wAfter = at::cat(transformedRows);
    const auto qwBefore = at::cat(qBefore), qwAfter = at::cat(qAfter);
    p.weightRows = wBefore.size(0);
    p.before.weight = quantError(wBefore, qwBefore);
    p.after.weight = quantError(wAfter, qwAfter);
    if (progress) progress->checkCancelled();
    // The outputs: the FP product (the smoothing and the orthogonal transform cancel exactly) against
    // the product of the quantized operands with and without the method.
    // (The products are the costly part of a preview: a subset of the rows keeps them cheap.)
    const auto outRows = sampleIndex(wBefore.size(0), in.maxOutputRows);
    const auto fpOut = at::matmul(x, wBefore.index_select(0, outRows).t());
    p.before.output = quantError(fpOut, at::matmul(quantizedBefore, qwBefore.index_select(0, outRows).t()));
    p.after.output = quantError(fpOut, at::matmul(quantizedAfter, qwAfter.index_select(0, outRows).t()));
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return p;
}

} // namespace ol
