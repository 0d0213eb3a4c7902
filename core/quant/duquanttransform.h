#pragma once
// DuQuant's orthogonal input transform M = R_1·P_1·R_2·…·P_T·R_{T+1}
// (algorithms.md §1.7.2, §1.8): block rotations found by the greedy search,
// interleaved with zigzag channel permutations. Applied on the last dim of
// activations and on the Cin axis of weights; (X·M)(W·M)ᵀ = X·Wᵀ.
#include "core/quant/blockrotation.h"
#include "core/quant/greedyrotation.h"

#include <vector>

namespace ol {

class Progress;

struct DuQuantTransform {
    std::vector<BlockRotation> rotations; // T + 1
    std::vector<at::Tensor> permutations; // T, int64 [C], perm[new] = old

    std::int64_t channels() const { return rotations.empty() ? 0 : rotations.front().channels; }
    bool isIdentity() const { return rotations.empty() && permutations.empty(); }
    at::Tensor apply(const at::Tensor& x) const; // x[..., C]·M in x's dtype and device
    at::Tensor dense() const;                    // M as [C, C] float64
};

struct DuQuantTransformOptions {
    GreedyRotationOptions rotation;
    int permutationTimes = 1;
};

// Greedy rotation → zigzag → … → greedy rotation on x [N, C]. Greedy call i uses seed
// options.rotation.seed + 2·i, so every rotation draws a fresh Q (§1.7.5).
DuQuantTransform calibrateDuQuantTransform(const at::Tensor& x, const DuQuantTransformOptions& o, Progress* progress = nullptr);

} // namespace ol
