#pragma once
// A fused causal-attention kernel for float32 on the CPU: scores, softmax and the weighted sum of
// values one query row at a time, never materializing a score matrix. It is used for small head
// dimensions, where a batched matrix product with an inner dimension of 8 or 16 wastes most of its time.
#include <cstdint>

namespace ol {

// Keys are handled this many at a time (one AVX-512 register of floats; independent accumulators that
// the compiler keeps in vector registers on narrower machines too).
constexpr std::int64_t kAttentionLanes = 16;

struct AttentionShape {
    std::int64_t batch, heads, kvHeads, tokens, headDim;
    std::int64_t keyStride; // row length of kT and vT: tokens rounded up to kAttentionLanes, zero-padded
};

// q: [batch, heads, tokens, d] contiguous; kT, vT: [batch, kvHeads, d, keyStride] contiguous (keys and
// values transposed, zero beyond tokens); out: [batch, tokens, heads, d] contiguous. Query head h reads
// kv head h / (heads / kvHeads). Runs queries [rowBegin, rowEnd) of the (batch, head) pair `pair`, using
// `scratch` (keyStride floats).
void attendRows(const AttentionShape& s, const float* q, const float* kT, const float* vT, float* out, std::int64_t pair,
                std::int64_t rowBegin, std::int64_t rowEnd, float* scratch);

// exp(x) for x ≤ 0 in float32 (Cody–Waite range reduction and the Cephes polynomial, within 2 ulp;
// x below -87, where exp is under 2^-125, gives 0), written so that loops over it vectorize. Exposed for
// its test.
void expNonPositive(const float* x, float* y, std::int64_t n);

} // namespace ol
