#pragma once
// Rotary position embedding in both conventions: llama2.c rotates adjacent
// pairs (2i, 2i+1), Hugging Face rotates (i, i + headDim/2).
#include <ATen/core/Tensor.h>
#include <cstdint>

namespace ol {

struct ModelConfig;

// Inverse frequencies [headDim/2] in float64, llama3/linear scaling applied.
at::Tensor rotaryInverseFrequencies(const ModelConfig& config);

// x: [B, heads, T, headDim] at positions offset..offset+T-1. Computed in float32, returned in x's dtype.
at::Tensor applyRotary(const at::Tensor& x, const ModelConfig& config, std::int64_t offset = 0);

} // namespace ol
