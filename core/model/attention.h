#pragma once
// Causal scaled-dot-product attention, computed a block of queries at a time.
#include <ATen/core/Tensor.h>

namespace ol {

// q: [B, heads, T, d]; k, v: [B, heads, T, d] (grouped-query heads already expanded). Returns
// [B, heads, T, d]. Each block of queries is scored only against the keys it can see, with the
// 1/sqrt(d) scale and the causal mask applied inside the matrix product (baddbmm: alpha·q·kᵀ + mask,
// the same rounding as scaling the product afterwards), so the [B, heads, T, T] scores never exist
// at once and the masked half is never computed. Softmax in float32, as Hugging Face does.
at::Tensor causalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

} // namespace ol
