#include "core/quant/layerquantizer.h"

#include "core/errors.h"
#include "core/model/decoderlayer.h"
#include "core/model/modelconfig.h"
#include "core/progress.h"

#include <ATen/ATen.h>
#include <chrono>

namespace ol {

const char* smoothingPair(Site s) {
    switch (s) {
    case Site::AttnInput: return "qkv";
    case Site::AttnOutput: return "out";
    case Site::MlpInput: return "fc1";
    default: return "down";
    }
}

namespace {

double seconds(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

// Rows of each weight whose error is reported (evenly spaced; every row when there are fewer).
constexpr std::int64_t kReportRows = 256;

void checkFinite(const at::Tensor& x, int layer, const std::string& what) {
    if (!at::isfinite(x).all().item<bool>())
        throw RuntimeFailure("layer " + std::to_string(layer) + ": " + what + " contains NaN or Inf");
}

nlohmann::json errorJson(const QuantError& e) { return {{"mse", e.mse}, {"sqnr_db", e.sqnrDb}, {"max_abs", e.maxAbs}}; }
QuantError errorFromJson(const nlohmann::json& j) {
    return {j.at("mse").get<double>(), j.at("sqnr_db").is_null() ? INFINITY : j.at("sqnr_db").get<double>(),
            j.at("max_abs").get<double>()};
}

} // namespace

// Forwards the calibration pass's hook calls to the quantizer.
class CalibratingHook : public ActivationHook {
public:
    explicit CalibratingHook(LayerQuantizer& q) : m_q(q) {}
    at::Tensor onActivation(int, Site site, const at::Tensor& x) override { return m_q.onSite(site, x); }

private:
    LayerQuantizer& m_q;
};

namespace {
// Applies one layer's online activation work (inference and training forwards).
class SingleLayerHook : public ActivationHook {
public:
    explicit SingleLayerHook(const QuantizedLayer& l) : m_l(l) {}
    at::Tensor onActivation(int, Site site, const at::Tensor& x) override {
        return QuantizedActivationHook::process(m_l, site, x);
    }

private:
    const QuantizedLayer& m_l;
};
} // namespace

LayerQuantizer::LayerQuantizer(const QuantMethod& method, const LayerContext& context, const LayerWeights& fp)
    : m_method(method), m_context(context) {
    const auto& s = *context.settings;
    m_layer.index = context.layer;
    m_layer.weights = fp.clone();
    m_layer.activation = s.activationSpec();
    m_layer.queryKey = s.queryKeySpec();
    m_layer.value = s.valueSpec();
    m_layer.queryKeyHadamard = method.rotatesQueryKey();
    m_report.layer = context.layer;
    checkFinite(fp.wq, context.layer, "q_proj weight");
    for (const auto& m : linearModules()) {
        checkFinite(fp.linear(m), context.layer, m + " weight");
        // Only the rows the report quantizes are kept of the FP weights, not a second copy of the layer.
        const auto& w = fp.linear(m);
        const std::int64_t rows = w.size(0), sampled = std::min(rows, kReportRows);
        auto& index = m_reportRows[m];
        if (sampled < rows) index = at::linspace(0, rows - 1, sampled).round().to(at::kLong).to(w.device());
        m_fpReportRows[m] = index.defined() ? w.index_select(0, index) : w;
    }
}

at::Tensor LayerQuantizer::calibrate(const at::Tensor& input) {
    checkFinite(input, m_context.layer, "the layer input");
    auto t0 = std::chrono::steady_clock::now();
    m_method.prepare(m_context, m_layer);
    m_report.seconds.prepare += seconds(t0);
    m_done.clear();
    CalibratingHook hook(*this);
    t0 = std::chrono::steady_clock::now();
    auto out = decoderLayerForward(m_layer.weights, *m_context.config, input, m_context.layer, &hook);
    const double inner = m_report.seconds.transform + m_report.seconds.weights;
    m_report.seconds.forward += seconds(t0) - inner;
    checkFinite(out, m_context.layer, "the quantized layer output");
    return out;
}

at::Tensor LayerQuantizer::onSite(Site site, const at::Tensor& x) {
    if (!isLinearInput(site)) return QuantizedActivationHook::process(m_layer, site, x);
    checkFinite(x, m_context.layer, std::string("activation ") + siteKey(site));
    auto& transform = m_layer.input(site);
    if (!m_done[linearInputIndex(site)]) {
        m_done[linearInputIndex(site)] = true;
        const auto x2d = x.reshape({-1, x.size(-1)});
        auto t0 = std::chrono::steady_clock::now();
        transform = m_method.transformFor(m_context, site, x2d, std::move(transform));
        m_report.seconds.transform += seconds(t0);

        t0 = std::chrono::steady_clock::now();
        for (const auto& m : consumersOf(site)) {
            m_rotated[m] = m_layer.weights.linear(m);
            m_transformed[m] = transform.applyToWeight(m_rotated[m]);
            quantizeModule(m, {}, true);
        }
        // What this site's consumers get, kept for the report instead of quantizing the activation twice.
        at::Tensor after;
        auto quantized = QuantizedActivationHook::quantizeLinearInput(m_layer, site, x, &after);
        // Report: the activation as the FP model has it vs what is quantized now.
        const auto tr = std::chrono::steady_clock::now();
        auto it = m_layer.smoothing.find(smoothingPair(site));
        auto fp = x2d;
        if (it != m_layer.smoothing.end() && !transform.find(StepKind::Scale)) fp = x2d * it->second.to(x2d.scalar_type());
        m_report.sites.push_back({site, quantError(fp, fakeQuantize(fp, m_layer.activation)), quantError(after, quantized)});
        m_report.seconds.reports += seconds(tr);
        m_report.seconds.weights += seconds(t0);
        return quantized;
    }
    return QuantizedActivationHook::process(m_layer, site, x);
}

void LayerQuantizer::quantizeModule(const std::string& m, const LwcFactors& lwc, bool keepIntegerForm) {
    const auto& w = m_transformed.at(m);
    const auto spec = m_context.settings->weightSpec();
    auto& target = m_layer.weights.linear(m);
    auto q = quantizeSiteWeight(w, spec, m_layer.input(inputSiteOf(m)), lwc, keepIntegerForm);
    target = q.forward;
    if (q.integer)
        m_layer.quantized[m] = std::move(*q.integer);
    else if (keepIntegerForm || !spec.enabled())
        m_layer.quantized.erase(m);
    if (keepIntegerForm) {
        const auto tr = std::chrono::steady_clock::now();
        // Both errors on the same at most kReportRows rows: quantizing the whole FP weight only for the
        // report cost as much as quantizing the layer, and a pass over the whole quantized weight a tenth.
        const auto& rows = m_reportRows.at(m);
        const auto& before = m_fpReportRows.at(m);
        const auto after = rows.defined() ? w.index_select(0, rows) : w;
        const auto quantized = rows.defined() ? target.detach().index_select(0, rows) : target.detach();
        WeightReport r{m, quantError(before, fakeQuantize(before, spec)), quantError(after, quantized), before.size(0),
                       w.size(0)};
        bool replaced = false;
        for (auto& existing : m_report.weights)
            if (existing.module == m) existing = r, replaced = true;
        if (!replaced) m_report.weights.push_back(r);
        m_report.seconds.reports += seconds(tr);
    }
}

void LayerQuantizer::quantizeWeights(const std::map<std::string, LwcFactors>& lwc, bool keepIntegerForm) {
    for (const auto& m : linearModules()) {
        auto it = lwc.find(m);
        quantizeModule(m, it == lwc.end() ? LwcFactors{} : it->second, keepIntegerForm);
    }
}

void LayerQuantizer::refreshTransformedWeights() {
    for (const auto& [m, w] : m_rotated) m_transformed[m] = m_layer.input(inputSiteOf(m)).applyToWeight(w);
}

at::Tensor LayerQuantizer::forward(const at::Tensor& input) const {
    SingleLayerHook hook(m_layer);
    return decoderLayerForward(m_layer.weights, *m_context.config, input, m_context.layer, &hook);
}

nlohmann::json LayerReport::toJson() const {
    nlohmann::json j{{"layer", layer}};
    for (const auto& s : sites)
        j["activations"][siteKey(s.site)] = {{"before", errorJson(s.before)}, {"after", errorJson(s.after)}};
    for (const auto& w : weights) {
        j["weights"][w.module] = {{"before", errorJson(w.before)}, {"after", errorJson(w.after)}};
        if (w.beforeRows != w.rows)
            for (const char* which : {"before", "after"}) j["weights"][w.module][which]["rows"] = {w.beforeRows, w.rows};
    }
    j["seconds"] = {{"prepare", seconds.prepare}, {"transform", seconds.transform}, {"weights", seconds.weights},
                    {"train", seconds.train},     {"forward", seconds.forward},     {"save", seconds.save},
                    {"reports", seconds.reports}};
    if (trainLoss >= 0) j["train_loss"] = trainLoss;
    if (!rotationDraws.empty()) j["rotation_draws"] = rotationDraws;
    return j;
}

LayerReport LayerReport::fromJson(const nlohmann::json& j) {
    LayerReport r;
    r.layer = j.at("layer").get<int>();
    if (j.contains("activations"))
        for (const auto& [k, v] : j.at("activations").items())
            r.sites.push_back({siteFromKey(k), errorFromJson(v.at("before")), errorFromJson(v.at("after"))});
    if (j.contains("weights"))
        for (const auto& [k, v] : j.at("weights").items())
            r.weights.push_back({k, errorFromJson(v.at("before")), errorFromJson(v.at("after")),
                                 v.at("before").contains("rows") ? v.at("before").at("rows").at(0).get<std::int64_t>() : 0,
                                 v.at("before").contains("rows") ? v.at("before").at("rows").at(1).get<std::int64_t>() : 0});
    const auto& s = j.at("seconds");
    r.seconds = {s.at("prepare").get<double>(), s.at("transform").get<double>(), s.at("weights").get<double>(),
                 s.at("train").get<double>(),   s.at("forward").get<double>(),   s.at("save").get<double>(),
                 s.value("reports", 0.0)};
    r.trainLoss = j.value("train_loss", -1.0);
    if (j.contains("rotation_draws")) r.rotationDraws = j.at("rotation_draws").get<std::vector<std::int64_t>>();
    return r;
}

std::uint64_t siteSeed(std::uint64_t base, int layer, Site site) {
    // Spaced so that a transform's consecutive draws (seed, seed+1, ...) never collide with another site's.
    return base * 1000003ULL + static_cast<std::uint64_t>(layer) * 1024ULL + static_cast<std::uint64_t>(site) * 64ULL;
}

} // namespace ol
