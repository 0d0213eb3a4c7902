#include "core/quant/ruquantrotation.h"

#include "core/errors.h"
#include "core/quant/zigzag.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <string>
#include <utility>

namespace ol {

namespace {

at::Generator generator(std::uint64_t seed) { return at::make_generator<at::CPUGeneratorImpl>(seed); }

// torch.rand(n) (float32), rescaled in float64 to `norm`: the positive "uniform" target.
at::Tensor uniformTarget(std::int64_t n, double norm, at::Generator& gen) {
    auto u = at::rand({n}, gen, at::TensorOptions().dtype(at::kFloat)).to(at::kDouble);
    const double un = u.norm().item<double>();
    return un > 0 ? u * (norm / un) : u;
}

// Per pair (2i, 2i+1): cos and the signed sin of the assembled matrix [[c, −σ], [σ, c]] (left-acting).
// Paper: σ = s turns v's pair onto the target; reference: σ = −s, i.e. [[c, s], [−s, c]] (§2.2 quirk).
std::pair<at::Tensor, at::Tensor> givensCoefficients(const at::Tensor& v, const at::Tensor& target, bool compat) {
    const std::int64_t p = v.size(0) / 2;
    const auto vp = v.to(at::kDouble).narrow(0, 0, 2 * p).view({p, 2});
    const auto tp = target.to(at::kDouble).narrow(0, 0, 2 * p).view({p, 2});
    const auto nn = ((vp * vp).sum(1) * (tp * tp).sum(1)).sqrt();
    const auto ok = nn > 0;
    const auto safe = at::where(ok, nn, at::ones_like(nn));
    auto c = at::where(ok, (vp * tp).sum(1) / safe, at::ones_like(nn));
    auto s = at::where(ok, (vp.select(1, 0) * tp.select(1, 1) - vp.select(1, 1) * tp.select(1, 0)) / safe, at::zeros_like(nn));
    return {c, compat ? -s : s};
}

// The column of X [n, M] holding the largest |entry|, as float64 [n].
at::Tensor largestColumn(const at::Tensor& X) {
    const auto idx = X.abs().argmax().item<std::int64_t>();
    return X.select(1, idx % X.size(1)).to(at::kDouble);
}

// get_R on X [n, M] float32 (rows = the channels of a block, columns = block vectors); returns the
// left-acting R (float64) with R·X₀ the rotated vectors.
at::Tensor getR(at::Tensor X, const RuQuantRotationOptions& o, std::uint64_t seed) {
    const std::int64_t n = X.size(0), p = n / 2, M = X.size(1);
    auto gen = generator(seed);
    auto R = at::eye(n, at::kDouble);
    if (M == 0) return R;
    for (int k = 0; k < o.maxSteps; ++k) {
        const auto v = largestColumn(X);
        const auto u = uniformTarget(n, v.norm().item<double>(), gen);
        const auto w = v - u;
        const double ww = w.dot(w).item<double>();
        if (ww < 1e-10) continue; // v is already its target (or X is zero)
        // Rank-1 update instead of H·X: O(n·M).
        const auto wf = w.to(at::kFloat);
        X.sub_(wf.unsqueeze(1) * at::matmul(wf.unsqueeze(0), X).mul_(float(2.0 / ww)));
        R = householderMatrix(v, u).mm(R);
        for (int l = 0; l < o.randomPermutationTimes; ++l) {
            const auto perm = at::randperm(n, gen, at::TensorOptions().dtype(at::kLong));
            X = X.index_select(0, perm);
            R = R.index_select(0, perm);
            const auto v2 = largestColumn(X);
            const auto t = at::rand({n}, gen, at::TensorOptions().dtype(at::kFloat));
            if (p == 0) continue;
            const auto cs = givensCoefficients(v2, t, o.referenceCompat);
            // Pairwise on X (float32) and R (float64), instead of multiplying by the dense block-diagonal G.
            auto rotatePairs = [&](at::Tensor& Y) {
                auto yp = Y.narrow(0, 0, 2 * p).view({p, 2, -1});
                const auto cc = cs.first.to(Y.scalar_type()).unsqueeze(1), ss = cs.second.to(Y.scalar_type()).unsqueeze(1);
                const auto y0 = yp.select(1, 0), y1 = yp.select(1, 1);
                yp.copy_(at::stack({cc * y0 - ss * y1, ss * y0 + cc * y1}, 1));
            };
            rotatePairs(X);
            rotatePairs(R);
        }
    }
    return R;
}

} // namespace

at::Tensor householderMatrix(const at::Tensor& v, const at::Tensor& u) {
    const auto w = (v.to(at::kDouble) - u.to(at::kDouble)).reshape({-1});
    const double ww = w.dot(w).item<double>();
    auto h = at::eye(w.size(0), at::kDouble);
    return ww > 0 ? h - at::outer(w, w) * (2.0 / ww) : h;
}

at::Tensor givensBlocks(const at::Tensor& v, const at::Tensor& target, bool referenceCompat) {
    const std::int64_t n = v.size(0);
    auto g = at::eye(n, at::kDouble);
    const auto [c, sg] = givensCoefficients(v, target, referenceCompat);
    for (std::int64_t i = 0; i < n / 2; ++i) {
        g[2 * i][2 * i] = c[i];
        g[2 * i][2 * i + 1] = -sg[i];
        g[2 * i + 1][2 * i] = sg[i];
        g[2 * i + 1][2 * i + 1] = c[i];
    }
    return g;
}

BlockRotation ruquantBlockRotation(const at::Tensor& x, const RuQuantRotationOptions& o) {
    if (o.maxSteps < 0) throw UsageError("`max_rotation_step` must be >= 0, got " + std::to_string(o.maxSteps));
    if (o.randomPermutationTimes < 0)
        throw UsageError("`random_permutation_times` must be >= 0, got " + std::to_string(o.randomPermutationTimes));
    const std::int64_t C = x.size(-1);
    auto rot = BlockRotation::identity(C, o.blockSize); // checks 1 <= bs <= C
    const auto a = x.detach().to(at::kCPU, at::kFloat).reshape({-1, C});
    const std::int64_t bs = o.blockSize, head = rot.fullBlocks() * bs, r = rot.tailSize();
    // X = reshape(A, [-1, bs])ᵀ; R acts on the left, so A_block·Rᵀ is the right-multiplied form.
    rot.main = getR(a.narrow(1, 0, head).reshape({-1, bs}).t().clone(at::MemoryFormat::Contiguous), o, o.seed).t().contiguous();
    if (r) rot.tail = getR(a.narrow(1, head, r).t().clone(at::MemoryFormat::Contiguous), o, o.seed + 1).t().contiguous();
    return rot;
}

DuQuantTransform calibrateRuQuantTransform(const at::Tensor& x, const RuQuantRotationOptions& o, int permutationTimes) {
    if (permutationTimes < 0) throw UsageError("`permutation_times` must be >= 0, got " + std::to_string(permutationTimes));
    DuQuantTransform m;
    auto ro = o;
    auto a = x.detach().to(at::kCPU, at::kFloat).reshape({-1, x.size(-1)});
    for (int call = 0; call <= permutationTimes; ++call) {
        ro.seed = o.seed + 2 * std::uint64_t(call);
        auto r = ruquantBlockRotation(a, ro);
        a = r.apply(a); // float32, as the search
        m.rotations.push_back(std::move(r));
        if (call == permutationTimes) break;
        auto perm = zigzagPermutation(a, o.blockSize);
        a = a.index_select(1, perm);
        m.permutations.push_back(std::move(perm));
    }
    return m;
}

at::Tensor globalHouseholderVector(const at::Tensor& x, std::uint64_t seed) {
    const std::int64_t C = x.size(-1);
    const auto a = x.detach().to(at::kCPU, at::kFloat).reshape({-1, C});
    if (a.size(0) == 0) return {};
    const auto row = a.abs().argmax().item<std::int64_t>() / C;
    const auto v = a[row].to(at::kDouble);
    auto gen = generator(seed);
    const auto w = v - uniformTarget(C, v.norm().item<double>(), gen);
    if (w.dot(w).item<double>() < 1e-10) return {};
    return w.to(at::kFloat);
}

} // namespace ol
