#include "model/attention.h"

#include <ATen/ATen.h>
#include <algorithm>
#include <cmath>
#include <limits>

namespace ol {

namespace {

// Scores per block stay near the CPU's cache: at most this many elements, in blocks of this many queries.
constexpr std::int64_t kScoreBlockElements = 1 << 18;
constexpr std::int64_t kQueryRows = 64;

} // namespace

at::Tensor causalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
    const std::int64_t B = q.size(0), H = q.size(1), T = q.size(2), d = q.size(3);
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    const auto q3 = q.reshape({B * H, T, d}), k3 = k.reshape({B * H, T, d}), v3 = v.reshape({B * H, T, d});
    const auto kT = k3.transpose(1, 2);
    // 0 where a query may look, -inf above the diagonal; added inside the product.
    const auto mask = at::zeros({T, T}, q.options())
                          .masked_fill(at::ones({T, T}, q.options().dtype(at::kBool)).triu(1),
                                       -std::numeric_limits<float>::infinity());
    // Blocks of (window, head) matrices and of queries, so that a block's scores stay in the cache.
    const std::int64_t rows = std::min<std::int64_t>(T, kQueryRows);
    const std::int64_t group = std::clamp<std::int64_t>(kScoreBlockElements / (rows * T), 1, B * H);
    auto out = at::empty({B * H, T, d}, q.options());
    for (std::int64_t g0 = 0; g0 < B * H; g0 += group) {
        const std::int64_t m = std::min(group, B * H - g0);
        const auto qg = q3.narrow(0, g0, m), kg = kT.narrow(0, g0, m), vg = v3.narrow(0, g0, m);
        for (std::int64_t q0 = 0; q0 < T; q0 += rows) {
            const std::int64_t n = std::min(rows, T - q0), keys = q0 + n;
            const auto scores = at::baddbmm(mask.narrow(0, q0, n).narrow(1, 0, keys), qg.narrow(1, q0, n),
                                            kg.narrow(2, 0, keys), 1.0, scale);
            const auto probs = at::softmax(scores, -1, at::kFloat).to(v.scalar_type());
            out.narrow(0, g0, m).narrow(1, q0, n).copy_(at::bmm(probs, vg.narrow(1, 0, keys)));
        }
    }
    return out.view({B, H, T, d});
}

} // namespace ol
