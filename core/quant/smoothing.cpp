#include "core/quant/smoothing.h"

#include "core/model/layerweights.h"
#include "core/model/modelconfig.h"
#include "core/quant/quantizedlayer.h"

#include <ATen/ATen.h>

namespace ol {

at::Tensor smoothingScales(const at::Tensor& actScales, const at::Tensor& keyWeight, double alpha) {
    auto a = actScales.to(at::kFloat).clamp_min(1e-5);
    auto wmax = std::get<0>(keyWeight.to(at::kFloat).abs().max(0)).clamp_min(1e-5);
    auto s = (a.pow(alpha) / wmax.pow(1.0 - alpha)).clamp_min(1e-5);
    // The reference's truncate helper: scales below 1e-2 become 1e-2 before fusing.
    return s.clamp_min(1e-2).to(keyWeight.device());
}

SmoothingResult applySmoothing(LayerWeights& w, const ModelConfig& c, const LayerActScales& act, double alpha) {
    SmoothingResult r;
    // Every scale from the unfolded weights.
    r.scales["qkv"] = smoothingScales(act.attnIn, w.wq, alpha);
    r.scales["fc1"] = smoothingScales(act.mlpIn, w.wUp, alpha);
    r.scales["down"] = smoothingScales(act.downIn, w.wDown, alpha);
    r.scales["out"] = smoothingScales(act.oIn, w.wo, alpha);
    // MHA: attention output channel j is a mix of v row j only; GQA: v rows serve several heads, so divide online.
    const bool outOnline = c.numKvHeads != c.numHeads;
    if (outOnline) r.onlineOutDivisor = r.scales["out"];
    w.inputNorm = w.inputNorm / r.scales["qkv"].to(w.inputNorm.scalar_type());
    w.postNorm = w.postNorm / r.scales["fc1"].to(w.postNorm.scalar_type());
    for (const auto& m : linearModules()) w.linear(m) = smoothedWeight(m, w.linear(m), r.scales, outOnline);
    return r;
}

const char* smoothingPairOf(const std::string& module) {
    if (module == "self_attn.o_proj") return "out";
    if (module == "mlp.down_proj") return "down";
    if (module.rfind("self_attn.", 0) == 0) return "qkv";
    return "fc1";
}

at::Tensor smoothedWeight(const std::string& module, const at::Tensor& w, const std::map<std::string, at::Tensor>& scales,
                          bool outDividedOnline, const at::Tensor& rowIndex) {
    auto folded = w;
    if (auto it = scales.find(smoothingPairOf(module)); it != scales.end())
        folded = folded * it->second.to(w.scalar_type()).unsqueeze(0);
    // silu(gate)·up is linear in up's rows, so ÷s there scales the down input.
    const char* produced = module == "mlp.up_proj" ? "down" : module == "self_attn.v_proj" && !outDividedOnline ? "out" : nullptr;
    if (auto it = produced ? scales.find(produced) : scales.end(); it != scales.end()) {
        auto s = it->second.to(w.scalar_type());
        if (rowIndex.defined()) s = s.index_select(0, rowIndex.to(s.device()));
        folded = folded / s.unsqueeze(1);
    }
    return folded;
}

} // namespace ol
