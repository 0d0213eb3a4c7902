#include "jobs/layerpreview.h"

#include "errors.h"
#include "jobs/progress.h"
#include "model/layerweights.h"
#include "model/modelconfig.h"
#include "quant/inputtransform.h"
#include "quant/layerquantizer.h"
#include "quant/method.h"
#include "quant/quantizedlayer.h"

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

// The consumer's sampled rows as the pipeline's prepare() leaves them: columns × the site's smoothing
// scale, and the producer-side row folds (v rows ÷ the o_proj scale for MHA, up rows ÷ the down_proj
// scale) that smoothing.cpp applies.
at::Tensor foldedRows(const QuantizedLayer& layer, const std::string& module, Site site, const at::Tensor& rows,
                      const at::Tensor& index) {
    auto w = rows;
    if (auto it = layer.smoothing.find(smoothingPair(site)); it != layer.smoothing.end())
        w = w * it->second.to(at::kFloat).unsqueeze(0);
    auto rowFold = [&](const char* pair) {
        if (auto it = layer.smoothing.find(pair); it != layer.smoothing.end())
            w = w / it->second.to(at::kFloat).index_select(0, index).unsqueeze(1);
    };
    if (module == "self_attn.v_proj" && !layer.input(Site::AttnOutput).divisor.defined()) rowFold("out");
    if (module == "mlp.up_proj") rowFold("down");
    return w;
}

at::Tensor sampleIndex(std::int64_t rows, std::int64_t maxRows) {
    if (maxRows <= 0 || rows <= maxRows) return at::arange(rows, at::kLong);
    return at::linspace(0, static_cast<double>(rows - 1), maxRows, at::kDouble).round().to(at::kLong);
}

std::string describeTransform(const QuantizedLayer& layer, Site site, const InputTransform& t) {
    std::vector<std::string> parts;
    if (layer.smoothing.count(smoothingPair(site))) parts.push_back("smoothing");
    if (!t.rotation.rotations.empty()) {
        const auto& r = t.rotation.rotations.front();
        parts.push_back(std::to_string(t.rotation.rotations.size()) + " block rotation" +
                        (t.rotation.rotations.size() == 1 ? "" : "s") + " (block " + std::to_string(r.blockSize) + ")");
    }
    if (!t.rotation.permutations.empty())
        parts.push_back(std::to_string(t.rotation.permutations.size()) + " zigzag permutation" +
                        (t.rotation.permutations.size() == 1 ? "" : "s"));
    if (t.householder.defined()) parts.push_back("global Householder");
    if (parts.empty()) return "none (identity)";
    std::string s;
    for (const auto& p : parts) s += (s.empty() ? "" : " + ") + p;
    return s;
}

} // namespace

LayerWeights previewProbe(const LayerWeights& fp) {
    LayerWeights probe = fp;
    for (const auto& m : linearModules()) probe.linear(m) = std::get<0>(fp.linear(m).abs().max(0, true));
    return probe;
}

LayerPreview computeLayerPreview(const QuantMethod& method, const PreviewInput& in, Progress* progress) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!isLinearInput(in.site))
        throw UsageError(std::string("preview: site ") + siteKey(in.site) + " is not a linear input");
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

    QuantizedLayer layer;
    layer.index = in.layer;
    // prepare() replaces tensors (folds are out of place): shallow copies never touch the caller's weights.
    LayerWeights probe;
    if (in.useProbe && !in.probe) probe = previewProbe(*in.weights);
    layer.weights = in.useProbe ? (in.probe ? *in.probe : probe) : *in.weights;
    method.prepare(ctx, layer);
    if (progress) progress->checkCancelled();

    const auto x = in.sample.to(at::kFloat);
    at::Tensor seen = x;
    InputTransform transform;
    if (layer.input(in.site).divisor.defined()) {
        seen = x / layer.input(in.site).divisor.to(at::kFloat);
    } else if (auto it = layer.smoothing.find(smoothingPair(in.site)); it != layer.smoothing.end()) {
        seen = x / it->second.to(at::kFloat);
    }
    transform.rotation = method.transformFor(ctx, in.site, seen);
    transform.householder =
        method.householderFor(ctx, in.site, transform.rotation.isIdentity() ? seen : transform.rotation.apply(seen));
    if (progress) progress->checkCancelled();
    const auto after = transform.applyToActivation(seen);

    LayerPreview p;
    p.layer = in.layer;
    p.site = in.site;
    p.method = method.name();
    p.parameters = method.parameters();
    p.settingsLabel = in.settings.label();
    p.tokens = x.size(0);
    p.channels = x.size(1);
    p.transform = describeTransform(layer, in.site, transform);

    const auto edges = sharedEdges(x, after);
    p.before = describe(x, edges);
    p.after = describe(after, edges);
    const auto aspec = in.settings.activationSpec();
    p.before.activation = quantError(x, fakeQuantize(x, aspec));
    p.after.activation = quantError(after, fakeQuantize(after, aspec));

    std::vector<at::Tensor> fpRows, transformedRows;
    for (const auto& m : consumersOf(in.site)) {
        const auto& fp = in.weights->linear(m);
        p.weightRowsTotal += fp.size(0);
        const auto index = sampleIndex(fp.size(0), in.maxWeightRows);
        const auto rows = fp.index_select(0, index).to(at::kFloat);
        fpRows.push_back(rows);
        const auto folded = in.useProbe ? foldedRows(layer, m, in.site, rows, index)
                                        : layer.weights.linear(m).index_select(0, index).to(at::kFloat);
        transformedRows.push_back(transform.applyToWeight(folded));
    }
    const auto wBefore = at::cat(fpRows), wAfter = at::cat(transformedRows);
    p.weightRows = wBefore.size(0);
    const auto wspec = in.settings.weightSpec();
    const auto qwBefore = fakeQuantize(wBefore, wspec), qwAfter = fakeQuantize(wAfter, wspec);
    p.before.weight = quantError(wBefore, qwBefore);
    p.after.weight = quantError(wAfter, qwAfter);
    if (progress) progress->checkCancelled();
    // The outputs: the FP product (the smoothing and the orthogonal transform cancel exactly) against
    // the product of the quantized operands with and without the method.
    // (The products are the costly part of a preview: a subset of the rows keeps them cheap.)
    const auto outRows = sampleIndex(wBefore.size(0), in.maxOutputRows);
    const auto fpOut = at::matmul(x, wBefore.index_select(0, outRows).t());
    p.before.output = quantError(fpOut, at::matmul(fakeQuantize(x, aspec), qwBefore.index_select(0, outRows).t()));
    p.after.output = quantError(fpOut, at::matmul(fakeQuantize(after, aspec), qwAfter.index_select(0, outRows).t()));
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return p;
}

} // namespace ol
