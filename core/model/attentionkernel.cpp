#include "core/model/attentionkernel.h"
#include "core/vectorclones.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <numeric>

// Compiled for x86-64-v4 (AVX-512) and v3 (AVX2 with FMA), chosen at load time, and the baseline: this
// file is the forward's inner loop for small models, and the distribution's baseline (SSE2) would run it at
// a quarter of the speed. Both vector versions contract the same products into FMA, so they round alike;
// a CPU without FMA rounds a little differently (as it does in OpenBLAS).

namespace ol {

namespace {

inline float expOne(float x) {
    const float clamped = std::max(x, -87.0f);
    // n = round(x / ln 2) by the 1.5·2^23 trick (exact for |x / ln 2| < 2^22), r = x - n·ln 2 in two parts.
    const float shifted = clamped * 1.44269504088896341f + 12582912.0f;
    const float n = shifted - 12582912.0f;
    const float r = (clamped - n * 0.693359375f) + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float y = p * r * r + r + 1.0f;
    const float twoToN = std::bit_cast<float>((static_cast<std::int32_t>(n) + 127) << 23);
    return x < -87.0f ? 0.0f : y * twoToN; // below: under 2^-125, and exp(-inf) is exactly 0
}

} // namespace

OL_VECTOR_CLONES void expNonPositive(const float* x, float* y, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) y[i] = expOne(x[i]);
}

OL_VECTOR_CLONES void attendRows(const AttentionShape& s, const float* q, const float* kT, const float* vT, float* out,
                                 std::int64_t pair, std::int64_t rowBegin, std::int64_t rowEnd, float* scratch) {
    const std::int64_t T = s.tokens, stride = s.keyStride, d = s.headDim;
    const std::int64_t b = pair / s.heads, h = pair % s.heads;
    const std::int64_t kvPair = b * s.kvHeads + h / (s.heads / s.kvHeads);
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    const float* qh = q + pair * T * d;
    const float* kh = kT + kvPair * d * stride;
    const float* vh = vT + kvPair * d * stride;
    float* p = scratch;
    float lanes[kAttentionLanes];
    for (std::int64_t i = rowBegin; i < rowEnd; ++i) {
        // Keys 0..i, padded to whole blocks of lanes: padded keys score -inf, so their weight is exactly 0.
        const std::int64_t keys = i + 1, padded = (keys + kAttentionLanes - 1) / kAttentionLanes * kAttentionLanes;
        const float* qi = qh + i * d;
        // p[j] = q_i · k_j, a block of keys at a time with the sum over the head dimension in registers.
        for (std::int64_t j = 0; j < padded; j += kAttentionLanes) {
            float dot[kAttentionLanes] = {};
            for (std::int64_t c = 0; c < d; ++c)
                for (int l = 0; l < kAttentionLanes; ++l) dot[l] += qi[c] * kh[c * stride + j + l];
            std::copy(dot, dot + kAttentionLanes, p + j);
        }
        std::fill(p + keys, p + padded, -INFINITY);
        std::fill(lanes, lanes + kAttentionLanes, -INFINITY);
        for (std::int64_t j = 0; j < padded; j += kAttentionLanes)
            for (int l = 0; l < kAttentionLanes; ++l) lanes[l] = std::max(lanes[l], p[j + l]);
        const float shift = *std::max_element(lanes, lanes + kAttentionLanes) * scale;
        // p[j] = exp(scale · (q_i · k_j) - max), summed as it goes.
        std::fill(lanes, lanes + kAttentionLanes, 0.0f);
        for (std::int64_t j = 0; j < padded; j += kAttentionLanes)
            for (int l = 0; l < kAttentionLanes; ++l) {
                p[j + l] = expOne(p[j + l] * scale - shift);
                lanes[l] += p[j + l];
            }
        const float inverse = 1.0f / std::accumulate(lanes, lanes + kAttentionLanes, 0.0f);
        // out_i = Σ_j p_j · v_j / Σ_j p_j, a value dimension at a time along the keys.
        float* o = out + ((b * T + i) * s.heads + h) * d;
        for (std::int64_t c = 0; c < d; ++c) {
            const float* vc = vh + c * stride;
            std::fill(lanes, lanes + kAttentionLanes, 0.0f);
            for (std::int64_t j = 0; j < padded; j += kAttentionLanes)
                for (int l = 0; l < kAttentionLanes; ++l) lanes[l] += p[j + l] * vc[j + l];
            o[c] = std::accumulate(lanes, lanes + kAttentionLanes, 0.0f) * inverse;
        }
    }
}

} // namespace ol
