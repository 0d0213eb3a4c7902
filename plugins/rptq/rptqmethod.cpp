#include "plugins/rptq/rptqmethod.h"

#include "core/errors.h"
#include "core/model/decoderlayer.h"
#include "core/model/modelconfig.h"
#include "core/progress.h"
#include "core/quant/clusterquant.h"
#include "core/quant/kmeans.h"
#include "core/quant/quantizedlayer.h"

#include <ATen/ATen.h>
#include <algorithm>
#include <functional>
#include <map>

namespace ol {

namespace {

// Per-channel ranges of one site over the calibration samples: the running max/min over every token
// (what k-means clusters, §3.2) and the reference's ema_minmax (first sample, then 0.99·old + 0.01·new,
// §3.4), which sets the static quantizers. Linear inputs [C], Q/K/V [heads, headDim]; float64.
struct Ranges {
    at::Tensor max, min, emaMax, emaMin;
};

class RangeHook : public ActivationHook {
public:
    std::map<Site, Ranges> ranges;
    at::Tensor onActivation(int, Site site, const at::Tensor& x) override {
        const auto xd = x.detach().to(at::kDouble);
        at::Tensor mx, mn;
        if (isLinearInput(site)) {
            const auto flat = xd.reshape({-1, x.size(-1)});
            mx = flat.amax(0), mn = flat.amin(0);
        } else {
            mx = xd.amax({0, 2}), mn = xd.amin({0, 2});
        }
        auto& r = ranges[site];
        if (!r.max.defined()) {
            r = {mx, mn, mx, mn};
        } else {
            r.max = at::maximum(r.max, mx), r.min = at::minimum(r.min, mn);
            r.emaMax = 0.99 * r.emaMax + 0.01 * mx, r.emaMin = 0.99 * r.emaMin + 0.01 * mn;
        }
        return x;
    }
};

// A per-head layout: the order inside each kv head [kvHeads, headDim] and each kv head's cluster sizes.
struct HeadClusters {
    at::Tensor order;
    std::vector<std::vector<std::int64_t>> sizes;
    // Cluster sizes over `heads` consecutive heads, head h using kv head h / (heads / kvHeads).
    std::vector<std::int64_t> flatSizes(std::int64_t heads) const {
        std::vector<std::int64_t> out;
        const auto group = heads / static_cast<std::int64_t>(sizes.size());
        for (std::int64_t h = 0; h < heads; ++h) out.insert(out.end(), sizes[h / group].begin(), sizes[h / group].end());
        return out;
    }
    // Flat channel index over `heads` heads of `d` channels: new (h, i) = old (h, order[h / group][i]).
    at::Tensor flatIndex(std::int64_t heads) const {
        const auto kv = order.size(0), d = order.size(1);
        const auto perHead = order.repeat_interleave(heads / kv, 0);
        return (perHead + at::arange(heads, at::kLong).unsqueeze(1) * d).reshape({-1});
    }
};

at::Tensor points(std::initializer_list<at::Tensor> columns) { return at::stack(std::vector<at::Tensor>(columns), 1); }

// [heads, d] → [kvHeads, d]: the max (or min) over the query heads that share a kv head.
at::Tensor perKvHead(const at::Tensor& t, std::int64_t kvHeads, bool max) {
    const auto v = t.reshape({kvHeads, -1, t.size(-1)});
    return max ? v.amax(1) : v.amin(1);
}

bool reorderOn(const nlohmann::json& p, char site) {
    const auto r = p.at("reorder").get<std::string>();
    return r != "none" && r.find(site) != std::string::npos;
}

// Seeds per (layer, site, head), so resume and any layer subset give the same draws.
KMeansOptions kmeansFor(const nlohmann::json& p, const LayerContext& ctx, int clusters, Site site, std::int64_t head) {
    KMeansOptions o;
    o.restarts = p.at("kmeans_restarts").get<int>();
    o.clusters = clusters;
    o.seed = siteSeed(ctx.seed, ctx.layer, site) ^ (0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(head + 1));
    return o;
}

// R1/R4/R5: all channels of a linear input on their (max, min); one cluster when the reorder is off.
ChannelClusters channelClusters(const nlohmann::json& p, const LayerContext& ctx, char id, Site site, const at::Tensor& max,
                                const at::Tensor& min) {
    if (!reorderOn(p, id)) return singleCluster(max.size(0));
    return clusterChannels(points({max, min}), kmeansFor(p, ctx, p.at("num_clusters").get<int>(), site, -1));
}

// R2/R3: `head_clusters` clusters inside each kv head on headPoints(g) [headDim, D].
HeadClusters headClusters(const nlohmann::json& p, const LayerContext& ctx, char id, Site site,
                          const std::function<at::Tensor(std::int64_t)>& headPoints) {
    const auto kvHeads = ctx.config->numKvHeads, hd = ctx.config->headDim;
    HeadClusters out;
    std::vector<at::Tensor> orders;
    for (std::int64_t g = 0; g < kvHeads; ++g) {
        auto cl = reorderOn(p, id) ? clusterChannels(headPoints(g), kmeansFor(p, ctx, p.at("head_clusters").get<int>(), site, g))
                                   : singleCluster(hd);
        orders.push_back(cl.order);
        out.sizes.push_back(cl.sizes);
    }
    out.order = at::stack(orders, 0);
    return out;
}

// R3 on the o_proj input's (max, min) [heads·headDim], per kv head (the query heads reading that V merged).
HeadClusters outputClusters(const nlohmann::json& p, const LayerContext& ctx, const at::Tensor& max, const at::Tensor& min) {
    const auto& c = *ctx.config;
    const auto mx = perKvHead(max.view({c.numHeads, c.headDim}), c.numKvHeads, true);
    const auto mn = perKvHead(min.view({c.numHeads, c.headDim}), c.numKvHeads, false);
    return headClusters(p, ctx, '3', Site::AttnOutput, [&](std::int64_t g) { return points({mx[g], mn[g]}); });
}

} // namespace

RptqMethod::RptqMethod(nlohmann::json params) : m_params(std::move(params)) {}

bool RptqMethod::reorders(char site) const { return reorderOn(m_params, site); }

void RptqMethod::validate(const ModelConfig& c, const QuantSettings& s) const {
    const auto k = m_params.at("num_clusters").get<std::int64_t>();
    const auto hk = m_params.at("head_clusters").get<std::int64_t>();
    const auto smallest = std::min(c.hiddenSize, c.intermediateSize);
    if (k > smallest)
        throw UsageError("`num_clusters` " + std::to_string(k) + " is larger than the " + std::to_string(smallest) +
                         " channels of this model's " +
                         (c.hiddenSize <= c.intermediateSize ? "RMSNorm outputs" : "down_proj input") + "; use at most " +
                         std::to_string(smallest));
    if (hk > c.headDim)
        throw UsageError("`head_clusters` " + std::to_string(hk) + " is larger than this model's head_dim " +
                         std::to_string(c.headDim) + "; use at most " + std::to_string(c.headDim));
    if (s.symmetric) throw UsageError("`symmetric` cannot be used with rptq: its cluster weight groups are asymmetric");
    if (s.groupSize > 0)
        throw UsageError("`group_size` " + std::to_string(s.groupSize) +
                         " cannot be used with rptq: its weights are grouped by the input channel clusters");
}

int RptqMethod::linearBits(const QuantSettings& s, Site site) const {
    if (m_params.at("only_quant_kv").get<bool>()) return 16;
    const bool compat = m_params.at("reference_compat").get<bool>();
    return compat && (site == Site::AttnInput || site == Site::MlpInput) ? std::max(8, s.abits) : s.abits;
}

SiteTransform RptqMethod::transformFor(const LayerContext& ctx, Site site, const at::Tensor& x, SiteTransform placed) const {
    if (ctx.sampleInputs.defined()) return placed; // the pipeline: prepare() placed every reorder and layout
    // Without the layer's samples (the live preview of one linear input): the site's clusters, reorder and
    // static quantizer from its own activation sample, as prepare() makes them from the samples' ranges (one
    // sample: its range is the EMA). prepare() folds R3 and R5 into the weights; a permutation step (x·P,
    // W·P) gives the same product.
    if (!isLinearInput(site)) return placed;
    at::NoGradGuard noGrad;
    const auto flat = x.detach().to(at::kDouble).reshape({-1, x.size(-1)});
    const auto mx = flat.amax(0), mn = flat.amin(0);
    at::Tensor order;
    std::vector<std::int64_t> sizes;
    char id = '3';
    if (site == Site::AttnOutput) {
        const auto h = outputClusters(m_params, ctx, mx, mn);
        order = h.flatIndex(ctx.config->numHeads), sizes = h.flatSizes(ctx.config->numHeads);
    } else {
        id = site == Site::AttnInput ? '1' : site == Site::MlpInput ? '4' : '5';
        auto c = channelClusters(m_params, ctx, id, site, mx, mn);
        order = c.order, sizes = c.sizes;
    }
    if (reorders(id)) placed.steps.push_back(TransformStep::permute(order));
    placed.clusterSizes = at::tensor(sizes, at::kLong);
    placed.staticActivation = staticQuantFromRanges(mn.index_select(0, order), mx.index_select(0, order), sizes,
                                                    linearBits(*ctx.settings, site), ctx.settings->lac);
    return placed;
}

void RptqMethod::prepare(const LayerContext& ctx, QuantizedLayer& layer) const {
    // Without per-sample inputs (the live preview) nothing is folded; transformFor shows the site's reorder.
    // The pipeline always provides them (needsSampleInputs).
    if (!ctx.sampleInputs.defined() || ctx.sampleInputs.size(0) == 0) return;
    at::NoGradGuard noGrad;
    const auto& c = *ctx.config;
    const auto& s = *ctx.settings;
    auto& w = layer.weights;
    const std::int64_t hd = c.headDim, heads = c.numHeads, kvHeads = c.numKvHeads;

    // 1. Ranges of the FP layer on the samples, one sample at a time (the EMA is over samples).
    RangeHook hook;
    for (std::int64_t i = 0; i < ctx.sampleInputs.size(0); ++i) {
        if (ctx.progress) ctx.progress->checkCancelled();
        decoderLayerForward(w, c, ctx.sampleInputs.narrow(0, i, 1), ctx.layer, &hook);
    }
    const auto& R = hook.ranges;

    // 2. Clusters.
    const auto r1 = channelClusters(m_params, ctx, '1', Site::AttnInput, R.at(Site::AttnInput).max, R.at(Site::AttnInput).min);
    const auto r4 = channelClusters(m_params, ctx, '4', Site::MlpInput, R.at(Site::MlpInput).max, R.at(Site::MlpInput).min);
    const auto r5 = channelClusters(m_params, ctx, '5', Site::DownInput, R.at(Site::DownInput).max, R.at(Site::DownInput).min);
    // R2 on (qmax, kmax, qmin, kmin) per kv head (the query heads of a group merged).
    const auto qMax = perKvHead(R.at(Site::Query).max, kvHeads, true), qMin = perKvHead(R.at(Site::Query).min, kvHeads, false);
    const auto r2 = headClusters(m_params, ctx, '2', Site::Query, [&](std::int64_t g) {
        return points({qMax[g], R.at(Site::Key).max[g], qMin[g], R.at(Site::Key).min[g]});
    });
    const auto r3 = outputClusters(m_params, ctx, R.at(Site::AttnOutput).max, R.at(Site::AttnOutput).min);

    // 3. The reorders. R1/R4: the RMSNorm output in cluster order (online gather, the consumers' columns
    // follow through the input transform); R3: v_proj rows and o_proj columns inside each head; R5:
    // gate/up rows and down_proj columns (both folded, exact); R2: Q and K inside each head after rotary.
    auto& attnIn = layer.input(Site::AttnInput);
    auto& mlpIn = layer.input(Site::MlpInput);
    if (reorders('1')) attnIn.steps.push_back(TransformStep::permute(r1.order));
    if (reorders('4')) mlpIn.steps.push_back(TransformStep::permute(r4.order));
    const auto vRows = r3.flatIndex(kvHeads), oCols = r3.flatIndex(heads);
    if (reorders('3')) {
        w.wv = w.wv.index_select(0, vRows.to(w.wv.device()));
        w.wo = w.wo.index_select(1, oCols.to(w.wo.device()));
    }
    if (reorders('5')) {
        const auto idx = r5.order.to(w.wDown.device());
        w.wGate = w.wGate.index_select(0, idx);
        w.wUp = w.wUp.index_select(0, idx);
        w.wDown = w.wDown.index_select(1, idx);
    }
    if (reorders('2')) layer.queryKeyOrder = r2.order;
    attnIn.clusterSizes = at::tensor(r1.sizes, at::kLong);
    layer.input(Site::AttnOutput).clusterSizes = at::tensor(r3.flatSizes(heads), at::kLong);
    mlpIn.clusterSizes = at::tensor(r4.sizes, at::kLong);
    layer.input(Site::DownInput).clusterSizes = at::tensor(r5.sizes, at::kLong);

    // 4. Static quantizers from the EMA ranges in the new layout, one scale/zero per cluster (§3.4, §3.5, §3.7).
    const bool kvOnly = m_params.at("only_quant_kv").get<bool>();
    const int kv = s.effectiveKvBits();
    auto setStatic = [&](Site site, const at::Tensor& flatIndex, const std::vector<std::int64_t>& sizes, int bits, double clip,
                         at::IntArrayRef shape) {
        const auto& r = R.at(site);
        const auto idx = flatIndex.to(r.emaMin.device());
        const auto mn = r.emaMin.reshape({-1}).index_select(0, idx), mx = r.emaMax.reshape({-1}).index_select(0, idx);
        auto q = staticQuantFromRanges(mn, mx, sizes, bits, clip);
        if (q.scale.defined()) q.scale = q.scale.reshape(shape), q.zero = q.zero.reshape(shape);
        (isLinearInput(site) ? layer.input(site).staticActivation : layer.staticQuant[static_cast<int>(site)]) = q;
    };
    const std::int64_t H = c.hiddenSize, I = c.intermediateSize;
    setStatic(Site::AttnInput, r1.order, r1.sizes, linearBits(s, Site::AttnInput), s.lac, {H});
    setStatic(Site::AttnOutput, oCols, r3.flatSizes(heads), linearBits(s, Site::AttnOutput), s.lac, {heads * hd});
    setStatic(Site::MlpInput, r4.order, r4.sizes, linearBits(s, Site::MlpInput), s.lac, {H});
    setStatic(Site::DownInput, r5.order, r5.sizes, linearBits(s, Site::DownInput), s.lac, {I});
    setStatic(Site::Query, r2.flatIndex(heads), r2.flatSizes(heads), kvOnly ? 16 : kv, s.lac, {heads, 1, hd});
    setStatic(Site::Key, r2.flatIndex(kvHeads), r2.flatSizes(kvHeads), kv, s.lac, {kvHeads, 1, hd});
    setStatic(Site::Value, vRows, r3.flatSizes(kvHeads), kv, 1.0, {kvHeads, 1, hd});
}

} // namespace ol
