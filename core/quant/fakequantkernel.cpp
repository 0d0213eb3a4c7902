#include "core/quant/fakequantkernel.h"
#include "core/vectorclones.h"

#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>

// Compiled for AVX-512, AVX2 and the baseline (see attentionkernel.cpp). No product here is followed by an
// addition, so no version can contract one into FMA: all three give the same bits.

namespace ol {

namespace {

// quantizer.cpp's CLIPMIN / CLIPMAX as the float32 values its tensor ops compare with.
constexpr float kClipMin = 1e-5f;
constexpr float kClipMax = 1e4f;

OL_VECTOR_CLONES void quantizeGroup(const float* x, float* out, std::int64_t n, const FakeQuantGrid& g) {
    float lo = x[0], hi = x[0];
    bool nan = false;
    for (std::int64_t i = 0; i < n; ++i) {
        lo = std::min(lo, x[i]);
        hi = std::max(hi, x[i]);
        nan |= x[i] != x[i]; // no short circuit: the loop stays vectorizable
    }
    if (nan) { // the tensor ops' min and max propagate NaN into the whole group
        std::fill(out, out + n, NAN);
        return;
    }
    if (g.clip != 1.0f) {
        hi = hi * g.clip;
        lo = lo * g.clip;
    }
    const float levels = static_cast<float>(std::ldexp(1.0, g.bits) - 1.0);
    float scale, zero;
    if (g.symmetric) {
        const float half = static_cast<float>(std::ldexp(1.0, g.bits - 1) - 1.0);
        scale = std::clamp(std::max(std::abs(hi), std::abs(lo)) / half, kClipMin, kClipMax);
        zero = half;
    } else {
        scale = std::clamp((hi - lo) / levels, kClipMin, kClipMax);
        zero = -lo / scale;
    }
    zero = std::nearbyint(std::clamp(zero, -kClipMax, kClipMax));
    for (std::int64_t i = 0; i < n; ++i) {
        // (round(y) - y) + y is round(y) for every finite y, and NaN for ±inf, exactly as the tensor ops'
        // straight-through rounding.
        const float y = x[i] / scale;
        const float q = std::clamp((std::nearbyint(y) - y) + y + zero, 0.0f, levels);
        out[i] = (q - zero) * scale;
    }
}

} // namespace

void fakeQuantizeGroups(const float* x, float* out, std::int64_t groups, std::int64_t groupSize, const FakeQuantGrid& grid) {
    const std::int64_t grain = std::max<std::int64_t>(1, (1 << 15) / std::max<std::int64_t>(groupSize, 1));
    at::parallel_for(0, groups, grain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t r = begin; r < end; ++r) quantizeGroup(x + r * groupSize, out + r * groupSize, groupSize, grid);
    });
}

} // namespace ol
