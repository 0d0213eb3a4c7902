#include "core/quant/duquanttransform.h"

#include "core/errors.h"
#include "core/progress.h"
#include "core/quant/zigzag.h"

#include <ATen/ATen.h>
#include <string>

namespace ol {

at::Tensor DuQuantTransform::apply(const at::Tensor& x) const {
    if (isIdentity()) return x;
    auto y = rotations.at(0).apply(x);
    for (std::size_t t = 0; t < permutations.size(); ++t) {
        y = y.index_select(-1, permutations[t].to(y.device())); // the last dim, whatever the batch (§1.8 quirk)
        y = rotations.at(t + 1).apply(y);
    }
    return y;
}

at::Tensor DuQuantTransform::dense() const {
    const auto c = channels();
    if (isIdentity()) return at::empty({0, 0}, at::kDouble);
    // Rows of the identity pushed through the chain: e_i·M is row i of M.
    return apply(at::eye(c, at::kDouble));
}

DuQuantTransform calibrateDuQuantTransform(const at::Tensor& x, const DuQuantTransformOptions& o, Progress* progress) {
    if (o.permutationTimes < 0) throw UsageError("`permutation_times` must be >= 0, got " + std::to_string(o.permutationTimes));
    DuQuantTransform m;
    GreedyRotationOptions ro = o.rotation;
    auto a = x;
    for (int call = 0; call <= o.permutationTimes; ++call) {
        if (progress) progress->checkCancelled();
        ro.seed = o.rotation.seed + 2 * std::uint64_t(call);
        auto g = greedyBlockRotation(a, ro, progress);
        // The search runs in float32 (as the reference); the next stage sees the float32 rotated activation.
        a = g.rotation.apply(a.to(at::kCPU, at::kFloat));
        m.rotations.push_back(std::move(g.rotation));
        if (call == o.permutationTimes) break;
        auto perm = zigzagPermutation(a, ro.blockSize);
        a = a.index_select(1, perm);
        m.permutations.push_back(std::move(perm));
    }
    return m;
}

} // namespace ol
