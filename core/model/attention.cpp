#include "core/model/attention.h"

#include "core/model/attentionkernel.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ol {

namespace {

// Scores per block stay near the CPU's cache: at most this many elements, in blocks of this many queries.
constexpr std::int64_t kScoreBlockElements = 1 << 18;
constexpr std::int64_t kQueryRows = 64;
// Head dimensions up to this use the fused kernel: below it a matrix product's inner dimension is too
// short for BLAS to pay off (stories260K: 8); above it, the blocked products win (at 32 they are even).
constexpr std::int64_t kFusedMaxHeadDim = 16;
// Query rows per task of the fused kernel: enough work per task, enough tasks per thread.
constexpr std::int64_t kFusedRows = 32;

} // namespace

at::Tensor causalAttentionFused(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
    const std::int64_t T = q.size(2);
    const std::int64_t stride = (T + kAttentionLanes - 1) / kAttentionLanes * kAttentionLanes;
    const AttentionShape s{q.size(0), q.size(1), k.size(1), T, q.size(3), stride};
    const auto qc = q.contiguous();
    auto transposedPadded = [&](const at::Tensor& x) {
        auto t = at::zeros({s.batch, s.kvHeads, s.headDim, stride}, x.options());
        t.narrow(3, 0, T).copy_(x.transpose(2, 3));
        return t;
    };
    const auto kT = transposedPadded(k), vT = transposedPadded(v);
    auto out = at::empty({s.batch, T, s.heads, s.headDim}, q.options());
    const std::int64_t blocks = (T + kFusedRows - 1) / kFusedRows, pairs = s.batch * s.heads;
    const float* qp = qc.data_ptr<float>();
    const float* kp = kT.data_ptr<float>();
    const float* vp = vT.data_ptr<float>();
    float* op = out.data_ptr<float>();
    at::parallel_for(0, pairs * blocks, 1, [&](std::int64_t begin, std::int64_t end) {
        std::vector<float> scratch(static_cast<std::size_t>(stride));
        for (std::int64_t task = begin; task < end; ++task) {
            // Later row blocks see more keys: hand them out first so the threads finish together.
            const std::int64_t pair = task % pairs, row0 = (blocks - 1 - task / pairs) * kFusedRows;
            attendRows(s, qp, kp, vp, op, pair, row0, std::min(T, row0 + kFusedRows), scratch.data());
        }
    });
    return out.transpose(1, 2);
}

at::Tensor causalAttentionBlocked(const at::Tensor& q, const at::Tensor& kvK, const at::Tensor& kvV) {
    // Grouped-query attention: each kv head serves heads/kvHeads query heads.
    const std::int64_t groups = q.size(1) / kvK.size(1);
    const auto k = groups > 1 ? kvK.repeat_interleave(groups, 1) : kvK;
    const auto v = groups > 1 ? kvV.repeat_interleave(groups, 1) : kvV;
    const std::int64_t B = q.size(0), H = q.size(1), T = q.size(2), d = q.size(3);
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    const auto q3 = q.reshape({B * H, T, d}), k3 = k.reshape({B * H, T, d}), v3 = v.reshape({B * H, T, d});
    const auto kT = k3.transpose(1, 2);
    // 0 where a query may look, -inf above the diagonal; added inside the product.
    const auto mask =
        at::zeros({T, T}, q.options())
            .masked_fill(at::ones({T, T}, q.options().dtype(at::kBool)).triu(1), -std::numeric_limits<float>::infinity());
    // Blocks of (window, head) matrices and of queries, so that a block's scores stay in the cache.
    const std::int64_t rows = std::min<std::int64_t>(T, kQueryRows);
    const std::int64_t group = std::clamp<std::int64_t>(kScoreBlockElements / (rows * T), 1, B * H);
    auto out = at::empty({B * H, T, d}, q.options());
    for (std::int64_t g0 = 0; g0 < B * H; g0 += group) {
        const std::int64_t m = std::min(group, B * H - g0);
        const auto qg = q3.narrow(0, g0, m), kg = kT.narrow(0, g0, m), vg = v3.narrow(0, g0, m);
        for (std::int64_t q0 = 0; q0 < T; q0 += rows) {
            const std::int64_t n = std::min(rows, T - q0), keys = q0 + n;
            const auto scores =
                at::baddbmm(mask.narrow(0, q0, n).narrow(1, 0, keys), qg.narrow(1, q0, n), kg.narrow(2, 0, keys), 1.0, scale);
            const auto probs = at::softmax(scores, -1, at::kFloat).to(v.scalar_type());
            out.narrow(0, g0, m).narrow(1, q0, n).copy_(at::bmm(probs, vg.narrow(1, 0, keys)));
        }
    }
    return out.view({B, H, T, d});
}

at::Tensor cachedAttention(const at::Tensor& q, const at::Tensor& kvK, const at::Tensor& kvV, std::int64_t offset,
                           const at::Tensor& keyValid) {
    const std::int64_t groups = q.size(1) / kvK.size(1);
    const auto k = groups > 1 ? kvK.repeat_interleave(groups, 1) : kvK;
    const auto v = groups > 1 ? kvV.repeat_interleave(groups, 1) : kvV;
    const std::int64_t B = q.size(0), H = q.size(1), T = q.size(2), d = q.size(3), keys = k.size(2);
    const double scale = 1.0 / std::sqrt(static_cast<double>(d));
    const auto opts = q.options().dtype(at::kBool);
    const auto queryPos = at::arange(offset, offset + T, q.options().dtype(at::kLong)).view({T, 1});
    const auto keyPos = at::arange(keys, q.options().dtype(at::kLong)).view({1, keys});
    auto allowed = keyPos.le(queryPos).view({1, 1, T, keys}); // causal
    if (keyValid.defined())
        allowed =
            allowed.logical_and(keyValid.to(opts).view({B, 1, 1, keys})).logical_or(keyPos.eq(queryPos).view({1, 1, T, keys}));
    const auto mask = at::zeros(allowed.sizes(), q.options())
                          .masked_fill(allowed.logical_not(), -std::numeric_limits<float>::infinity())
                          .expand({B, H, T, keys})
                          .reshape({B * H, T, keys});
    const auto scores = at::baddbmm(mask, q.reshape({B * H, T, d}), k.reshape({B * H, keys, d}).transpose(1, 2), 1.0, scale);
    const auto probs = at::softmax(scores, -1, at::kFloat).to(v.scalar_type());
    return at::bmm(probs, v.reshape({B * H, keys, d})).view({B, H, T, d});
}

at::Tensor causalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
    // The fused kernel has no backward: training (LWC, learnable Householder) takes the blocked products.
    const bool needsGrad = at::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad());
    const bool fused = !needsGrad && q.device().is_cpu() && q.scalar_type() == at::kFloat && k.scalar_type() == at::kFloat &&
                       v.scalar_type() == at::kFloat && q.size(3) <= kFusedMaxHeadDim;
    return fused ? causalAttentionFused(q, k, v) : causalAttentionBlocked(q, k, v);
}

} // namespace ol
