#include "core/quant/layerpreview.h"

#include "core/errors.h"
#include "core/model/layerweights.h"
#include "core/model/modelconfig.h"
#include "core/progress.h"
#include "core/quant/layerquantizer.h"
#include "core/quant/method.h"
#include "core/quant/previewcache.h"
#include "core/quant/previewstats.h"
#include "core/quant/quantizedlayer.h"
#include "core/quant/smoothing.h"

#include <ATen/ATen.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace ol {

namespace {

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

// What identifies a baseline within one layer's cache.
std::string baselineKey(const PreviewInput& in) {
    return std::string(siteKey(in.site)) + "|" + in.settings.toJson().dump() + "|" + std::to_string(in.maxWeightRows) + "|" +
           std::to_string(in.maxOutputRows) + "|" + std::to_string(reinterpret_cast<std::uintptr_t>(in.sample.data_ptr()));
}

} // namespace

LayerWeights previewProbe(const LayerWeights& fp) {
    LayerWeights probe = fp;
    for (const auto& m : linearModules()) probe.linear(m) = std::get<0>(fp.linear(m).abs().max(0, true));
    return probe;
}

PreviewBaseline computePreviewBaseline(const PreviewInput& in) {
    PreviewBaseline b;
    b.sample = in.sample.to(at::kCPU, at::kFloat).contiguous();
    // "Before": no method at all, through the same code (an empty transform).
    QuantizedLayer plain;
    plain.activation = in.settings.activationSpec();
    b.quantized = QuantizedActivationHook::quantizeLinearInput(plain, in.site, b.sample);
    b.side = describeSample(b.sample);
    b.side.activation = quantError(b.sample, b.quantized);
    const auto wspec = in.settings.weightSpec();
    std::vector<at::Tensor> rows, quantized;
    for (const auto& m : consumersOf(in.site)) {
        const auto& fp = in.weights->linear(m);
        b.weightRowsTotal += fp.size(0);
        b.rowIndex.push_back(sampleIndex(fp.size(0), in.maxWeightRows));
        rows.push_back(fp.index_select(0, b.rowIndex.back()).to(at::kFloat));
        quantized.push_back(quantizeSiteWeight(rows.back(), wspec, SiteTransform{}, {}, false).forward);
    }
    b.fpRows = at::cat(rows);
    b.quantizedRows = at::cat(quantized);
    b.side.weight = quantError(b.fpRows, b.quantizedRows);
    // The products are the costly part of a preview: a subset of the rows keeps them cheap.
    b.outputRows = sampleIndex(b.fpRows.size(0), in.maxOutputRows);
    b.fpOutput = at::matmul(b.sample, b.fpRows.index_select(0, b.outputRows).t());
    b.side.output = quantError(b.fpOutput, at::matmul(b.quantized, b.quantizedRows.index_select(0, b.outputRows).t()));
    return b;
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
    ctx.searchMemo = in.cache ? &in.cache->searches() : nullptr;

    const auto makeBaseline = [&in] { return computePreviewBaseline(in); };
    const auto base =
        in.cache ? in.cache->baseline(baselineKey(in), makeBaseline) : std::make_shared<const PreviewBaseline>(makeBaseline());
    if (progress) progress->checkCancelled();

    // The pipeline's per-site code on a layer made of probes (or the whole FP layer): prepare(), the method's
    // SiteTransform from the activation that reaches the site, the hook's activation quantization and the
    // layer quantizer's weight quantization (layout, clusters, grid: its float form, the integer codes are the
    // same values and cost twice as much), on sampled weight rows.
    const auto makePrepared = [&] {
        QuantizedLayer layer;
        layer.index = in.layer;
        layer.activation = in.settings.activationSpec();
        // prepare() replaces tensors (folds are out of place): shallow copies never touch the caller's weights.
        layer.weights = in.useProbe ? (in.probe ? *in.probe : previewProbe(*in.weights)) : *in.weights;
        method.prepare(ctx, layer);
        return layer;
    };
    const std::string preparedKey = method.name() + "|" + method.prepareParameters().dump() + "|" + in.settings.toJson().dump() +
                                    "|" + (in.useProbe ? "probe" : "layer");
    QuantizedLayer layer = in.cache ? *in.cache->prepared(preparedKey, makePrepared) : makePrepared();
    if (progress) progress->checkCancelled();

    // What reaches the site in the pipeline: the FP activation with the smoothing folded upstream divided
    // out (an online divisor is a step of the site's transform instead).
    const auto& x = base->sample;
    auto& transform = layer.input(in.site);
    at::Tensor reaching = x;
    if (auto it = layer.smoothing.find(smoothingPair(in.site)); it != layer.smoothing.end() && !transform.find(StepKind::Scale))
        reaching = x / it->second.to(at::kFloat);
    if (!in.firstStage) transform = method.transformFor(ctx, in.site, reaching, std::move(transform));
    if (progress) progress->checkCancelled();
    at::Tensor after;
    const auto quantizedAfter = QuantizedActivationHook::quantizeLinearInput(layer, in.site, reaching, &after);

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
    p.weightRowsTotal = base->weightRowsTotal;

    p.before = base->side;
    p.after = describeSample(after);
    p.after.activation = quantError(after, quantizedAfter);
    const auto edges = sharedHistogramEdges(p.before, p.after);
    fillHistogram(p.before, x, edges);
    fillHistogram(p.after, after, edges);

    const auto wspec = in.settings.weightSpec();
    const bool outOnline = layer.input(Site::AttnOutput).find(StepKind::Scale) != nullptr;
    std::vector<at::Tensor> transformedRows, qAfter;
    std::int64_t offset = 0;
    const auto consumers = consumersOf(in.site);
    for (std::size_t i = 0; i < consumers.size(); ++i) {
        const auto& m = consumers[i];
        const auto& index = base->rowIndex[i];
        const auto rows = base->fpRows.narrow(0, offset, index.numel());
        offset += index.numel();
        const auto folded = in.useProbe ? smoothedWeight(m, rows, layer.smoothing, outOnline, index)
                                        : layer.weights.linear(m).index_select(0, index).to(at::kFloat);
        transformedRows.push_back(transform.applyToWeight(folded));
        qAfter.push_back(quantizeSiteWeight(transformedRows.back(), wspec, transform, {}, false).forward);
    }
    const auto wAfter = at::cat(transformedRows), qwAfter = at::cat(qAfter);
    p.weightRows = wAfter.size(0);
    p.after.weight = quantError(wAfter, qwAfter);
    if (progress) progress->checkCancelled();
    // The outputs: the FP product (the smoothing and the orthogonal transform cancel exactly) against the
    // product of the quantized operands with the method (without it: the baseline's).
    p.after.output = quantError(base->fpOutput, at::matmul(quantizedAfter, qwAfter.index_select(0, base->outputRows).t()));
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return p;
}

} // namespace ol
