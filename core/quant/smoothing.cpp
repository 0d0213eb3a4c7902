#include "quant/smoothing.h"

#include "model/layerweights.h"
#include "model/modelconfig.h"

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
    auto col = [](at::Tensor& weight, const at::Tensor& s) { weight = weight * s.to(weight.scalar_type()).unsqueeze(0); };
    auto row = [](at::Tensor& weight, const at::Tensor& s) { weight = weight / s.to(weight.scalar_type()).unsqueeze(1); };

    auto qkv = smoothingScales(act.attnIn, w.wq, alpha);
    w.inputNorm = w.inputNorm / qkv.to(w.inputNorm.scalar_type());
    col(w.wq, qkv), col(w.wk, qkv), col(w.wv, qkv);
    r.scales["qkv"] = qkv;

    auto fc1 = smoothingScales(act.mlpIn, w.wUp, alpha);
    w.postNorm = w.postNorm / fc1.to(w.postNorm.scalar_type());
    col(w.wUp, fc1), col(w.wGate, fc1);
    r.scales["fc1"] = fc1;

    // silu(gate)·up is linear in up's rows, so ÷s there scales the down input.
    auto down = smoothingScales(act.downIn, w.wDown, alpha);
    row(w.wUp, down);
    col(w.wDown, down);
    r.scales["down"] = down;

    auto out = smoothingScales(act.oIn, w.wo, alpha);
    col(w.wo, out);
    if (c.numKvHeads == c.numHeads) {
        row(w.wv, out); // MHA: attention output channel j is a mix of v row j only
    } else {
        r.onlineOutDivisor = out; // GQA: v rows serve several heads, so divide online
    }
    r.scales["out"] = out;
    return r;
}

} // namespace ol
