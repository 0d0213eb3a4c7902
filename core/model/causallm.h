#pragma once
// Anything that maps token windows to next-token logits: the FP model, a
// quantized model, a reloaded export. Evaluation code takes this interface.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace ol {

class CausalLm {
public:
    virtual ~CausalLm() = default;
    // tokens: [B, T] int64 on any device; returns float32 logits [B, T, vocab] on device().
    virtual at::Tensor logits(const at::Tensor& tokens) = 0;
    virtual c10::Device device() const = 0;
    virtual std::int64_t vocabSize() const = 0;
};

} // namespace ol
