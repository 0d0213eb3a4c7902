#pragma once
// Causal scaled-dot-product attention (softmax in float32), fused or in blocks of queries.
#include <ATen/core/Tensor.h>
#include <cstdint>

namespace ol {

// q: [B, heads, T, d]; k, v: [B, kvHeads, T, d], each kv head serving heads/kvHeads query heads.
// Returns [B, heads, T, d]. Float32 on the CPU with a head dimension up to 16 and no gradient to record
// runs the fused kernel (attentionkernel.h); everything else the blocked products below.
at::Tensor causalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

// Attention of T new queries at positions offset..offset+T-1 over keys/values at positions 0..offset+T-1
// (a KV cache followed by the new tokens): query i sees key j when j ≤ offset + i and keyValid[b, j] (bool
// [B, offset + T]; undefined: all valid). A query always sees its own key, so a padding token's row stays
// finite (and is never seen by a real one). Same arithmetic as causalAttentionBlocked.
at::Tensor cachedAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, std::int64_t offset,
                           const at::Tensor& keyValid);

// The two implementations, exposed so that a test can hold each to a float64 reference.
at::Tensor causalAttentionFused(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);
// Each block of queries is scored only against the keys it can see, with the
// 1/sqrt(d) scale and the causal mask applied inside the matrix product (baddbmm: alpha·q·kᵀ + mask,
// the same rounding as scaling the product afterwards), so the [B, heads, T, T] scores never exist
// at once and the masked half is never computed. Softmax in float32, as Hugging Face does.
at::Tensor causalAttentionBlocked(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v);

} // namespace ol
