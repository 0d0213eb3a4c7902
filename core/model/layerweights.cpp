#include "core/model/layerweights.h"

#include "core/errors.h"
#include "core/model/checkpoint.h"

#include <ATen/ATen.h>

namespace ol {

LayerWeights LayerWeights::load(const Checkpoint& ck, int i, c10::Device device, c10::ScalarType dtype) {
    auto get = [&](const std::string& name) { return ck.materialize(name, device, dtype); };
    LayerWeights w;
    w.inputNorm = get(names::inputNorm(i));
    w.wq = get(names::linear(i, "self_attn.q_proj"));
    w.wk = get(names::linear(i, "self_attn.k_proj"));
    w.wv = get(names::linear(i, "self_attn.v_proj"));
    w.wo = get(names::linear(i, "self_attn.o_proj"));
    w.postNorm = get(names::postNorm(i));
    w.wGate = get(names::linear(i, "mlp.gate_proj"));
    w.wUp = get(names::linear(i, "mlp.up_proj"));
    w.wDown = get(names::linear(i, "mlp.down_proj"));
    return w;
}

LayerWeights LayerWeights::to(c10::Device device, c10::ScalarType dtype) const {
    auto t = [&](const at::Tensor& x) { return x.to(device, dtype); };
    return {t(inputNorm), t(wq), t(wk), t(wv), t(wo), t(postNorm), t(wGate), t(wUp), t(wDown)};
}

LayerWeights LayerWeights::clone() const {
    return {inputNorm.clone(), wq.clone(),    wk.clone(),  wv.clone(),   wo.clone(),
            postNorm.clone(),  wGate.clone(), wUp.clone(), wDown.clone()};
}

at::Tensor& LayerWeights::linear(const std::string& m) {
    if (m == "self_attn.q_proj") return wq;
    if (m == "self_attn.k_proj") return wk;
    if (m == "self_attn.v_proj") return wv;
    if (m == "self_attn.o_proj") return wo;
    if (m == "mlp.gate_proj") return wGate;
    if (m == "mlp.up_proj") return wUp;
    if (m == "mlp.down_proj") return wDown;
    throw UsageError("no linear module '" + m + "' in a LLaMA decoder layer");
}

const at::Tensor& LayerWeights::linear(const std::string& m) const { return const_cast<LayerWeights*>(this)->linear(m); }

} // namespace ol
