#pragma once
// RUQuant's transforms (algorithms.md §2.2, §2.3): get_R, a block rotation
// built from Householder reflections that send the largest block vector onto a
// random positive ("uniform") target, random permutations, and Givens passes
// that turn each channel pair onto a random target pair; and the global
// Householder vector ω applied after the R₁·P·R₂ chain.
#include "core/quant/blockrotation.h"
#include "core/quant/duquanttransform.h"

#include <ATen/core/Generator.h>
#include <cstdint>

namespace ol {

struct RuQuantRotationOptions {
    std::int64_t blockSize = 128;
    int maxSteps = 16;              // K
    int randomPermutationTimes = 3; // λ
    bool referenceCompat = false;   // assemble [[c, s], [−s, c]] as the reference (lands on the target's mirror about v)
    std::uint64_t seed = 444;       // main block draws from seed, the ragged tail from seed + 1
};

// I − 2wwᵀ/(wᵀw) with w = v − u, [n, n] float64: maps v onto u exactly when ‖u‖ = ‖v‖.
at::Tensor householderMatrix(const at::Tensor& v, const at::Tensor& u);
// 2×2 rotation [n, n] float64 block-diagonal over the pairs (2i, 2i+1) of v [n] turning each pair towards the
// same pair of `target` (paper: onto it; referenceCompat: onto its mirror about v). A zero pair and, for odd
// n, the last channel are left alone.
at::Tensor givensBlocks(const at::Tensor& v, const at::Tensor& target, bool referenceCompat);
// get_R on x [N, C] (any float dtype/device): search in float32 on the CPU, accumulation in float64.
// Every K·(1 + λ) factor is applied (no best-prefix selection). Returned as the right-multiplied matrix.
BlockRotation ruquantBlockRotation(const at::Tensor& x, const RuQuantRotationOptions& o);

// R₁ → zigzag → … → R_{T+1}; get_R call i uses seed o.seed + 2·i (its tail o.seed + 2·i + 1).
DuQuantTransform calibrateRuQuantTransform(const at::Tensor& x, const RuQuantRotationOptions& o, int permutationTimes);

// ω = v − u on x [N, C]: v the token row holding the largest |entry|, u uniform[0,1)^C (generator seeded `seed`)
// rescaled to ‖v‖. float32 [C], or undefined when ‖ω‖² < 1e-10.
at::Tensor globalHouseholderVector(const at::Tensor& x, std::uint64_t seed);

} // namespace ol
