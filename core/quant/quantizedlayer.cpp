#include "core/quant/quantizedlayer.h"

#include "core/errors.h"
#include "core/quant/rotationprototypes.h"

#include <ATen/ATen.h>

namespace ol {

const std::vector<std::string>& linearModules() {
    static const std::vector<std::string> m = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                               "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};
    return m;
}

Site inputSiteOf(const std::string& module) {
    if (module == "self_attn.o_proj") return Site::AttnOutput;
    if (module == "mlp.down_proj") return Site::DownInput;
    if (module.rfind("self_attn.", 0) == 0) return Site::AttnInput;
    if (module.rfind("mlp.", 0) == 0) return Site::MlpInput;
    throw UsageError("no linear module '" + module + "' in a LLaMA decoder layer");
}

int linearInputIndex(Site s) {
    switch (s) {
    case Site::AttnInput: return 0;
    case Site::AttnOutput: return 1;
    case Site::MlpInput: return 2;
    case Site::DownInput: return 3;
    default: throw UsageError(std::string("site ") + siteKey(s) + " is not a linear input");
    }
}

std::vector<std::string> consumersOf(Site site) {
    std::vector<std::string> out;
    for (const auto& m : linearModules())
        if (inputSiteOf(m) == site) out.push_back(m);
    return out;
}

QuantizedLayerLoader loaderOf(const std::vector<QuantizedLayer>& layers) {
    return [&layers](int index) {
        if (index < 0 || index >= static_cast<int>(layers.size()))
            throw UsageError("quantized layer " + std::to_string(index) + " out of range (" + std::to_string(layers.size()) +
                             " layers)");
        return layers[index];
    };
}

void QuantizedActivationHook::setLayer(int index, const QuantizedLayer* layer) {
    if (index >= static_cast<int>(m_layers.size())) m_layers.resize(index + 1, nullptr);
    m_layers[index] = layer;
}

at::Tensor QuantizedActivationHook::onActivation(int layer, Site site, const at::Tensor& x) {
    if (layer < 0 || layer >= static_cast<int>(m_layers.size()) || !m_layers[layer]) return x;
    return process(*m_layers[layer], site, x);
}

at::Tensor QuantizedWeight::dequantized() const {
    return groupSizes.defined() ? dequantizeGrouped(codes, params, spec, groupSizes) : dequantize(codes, params, spec);
}

SiteWeight quantizeSiteWeight(const at::Tensor& w, const QuantSpec& spec, const SiteTransform& site, const LwcFactors& lwc,
                              bool integerForm) {
    if (!spec.enabled()) return {w, std::nullopt};
    const auto& clusters = site.clusterSizes;
    if (!integerForm || spec.bits > 8) {
        // Differentiable (LWC training); above 8 bits the float result itself is kept (no uint8 codes).
        if (!clusters.defined()) return {fakeQuantize(w, spec, lwc), std::nullopt};
        const auto p = computeGroupedParams(w.detach(), spec, clusters.cpu());
        return {fakeQuantizeStatic(w, {spec.bits, expandGroups(p.scale, clusters), expandGroups(p.zero, clusters)}),
                std::nullopt};
    }
    QuantizedWeight q;
    q.spec = spec;
    const auto wd = w.detach();
    if (clusters.defined()) {
        // One scale/zero per (row, input cluster); no LWC with variable groups.
        q.groupSizes = clusters.cpu();
        q.params = computeGroupedParams(wd, spec, q.groupSizes);
        q.codes = quantizeGroupedCodes(wd, q.params, spec, q.groupSizes);
    } else {
        LwcFactors fixed;
        if (lwc.defined()) fixed = {lwc.up.detach(), lwc.low.detach()};
        q.params = computeQuantParams(wd, spec, fixed);
        q.codes = quantizeCodes(wd, q.params, spec);
        q.lwcUp = fixed.up, q.lwcLow = fixed.low;
    }
    auto forward = q.dequantized().to(w.scalar_type());
    return {forward, std::move(q)};
}

namespace {
// Reorders the last dim of Q [B, heads, T, d] or K [B, kvHeads, T, d] by the per-kv-head order [kvHeads, d].
at::Tensor reorderHeads(const at::Tensor& x, const at::Tensor& order) {
    auto idx = order.to(x.device());
    const auto heads = x.size(1), kvHeads = idx.size(0);
    if (heads != kvHeads) idx = idx.repeat_interleave(heads / kvHeads, 0);
    return x.gather(-1, idx.view({1, heads, 1, -1}).expand(x.sizes()));
}
} // namespace

at::Tensor QuantizedActivationHook::quantizeLinearInput(const QuantizedLayer& l, Site site, const at::Tensor& x,
                                                        at::Tensor* transformed) {
    const auto& t = l.input(site);
    const auto y = t.applyToActivation(x);
    if (transformed) *transformed = y;
    return t.staticActivation.set() ? fakeQuantizeStatic(y, t.staticActivation) : fakeQuantize(y, l.activation);
}

at::Tensor QuantizedActivationHook::process(const QuantizedLayer& l, Site site, const at::Tensor& x) {
    if (isLinearInput(site)) return quantizeLinearInput(l, site, x);
    const auto& sq = l.staticQuant[static_cast<int>(site)];
    switch (site) {
    case Site::Query:
    case Site::Key: {
        auto y = l.queryKeyOrder.defined() ? reorderHeads(x, l.queryKeyOrder) : x;
        if (l.queryKeyHadamard) {
            // Over head_dim only: the rotation cancels in Q·Kᵀ and never mixes tokens.
            y = at::matmul(y, normalizedHadamard(x.size(-1)).to(x.device(), x.scalar_type()));
        }
        return sq.set() ? fakeQuantizeStatic(y, sq) : fakeQuantize(y, l.queryKey);
    }
    case Site::Value: return sq.set() ? fakeQuantizeStatic(x, sq) : fakeQuantize(x, l.value);
    default: return x;
    }
}

} // namespace ol
