#pragma once
// The tensors of one decoder layer, on the device and dtype of the forward.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

namespace ol {

class Checkpoint;

struct LayerWeights {
    at::Tensor inputNorm, wq, wk, wv, wo, postNorm, wGate, wUp, wDown;

    // Reads layer `index` from the checkpoint (one layer in memory at a time).
    static LayerWeights load(const Checkpoint& checkpoint, int index, c10::Device device, c10::ScalarType dtype);
    LayerWeights to(c10::Device device, c10::ScalarType dtype) const;
    // Deep copy (weights edited by a method must not alias the FP ones).
    LayerWeights clone() const;
    // The linear weight for a Hugging Face module name ("mlp.down_proj"); throws UsageError.
    at::Tensor& linear(const std::string& module);
    const at::Tensor& linear(const std::string& module) const;
};

} // namespace ol
