#pragma once
// The fixed and random orthogonal matrices DuQuant's rotations are built from
// (algorithms.md §1.2, §1.7.3, §1.9). All results are float64 on the CPU.
#include <ATen/core/Tensor.h>
#include <cstdint>

namespace ol {

// get_rot.py's Givens chain with row/column 0 and n-1 swapped afterwards:
// row 0 is the constant 1/sqrt(n), so e0·R spreads one outlier evenly. n = 1 → [[1]].
at::Tensor helmertPrototype(std::int64_t n);

// Q of the QR of an n×n standard normal drawn from a CPU generator seeded `seed`
// (drawn in float32 as torch.randn does by default, factorized in float64), no
// sign correction. n = 0 → a [0, 0] tensor.
at::Tensor randomOrthogonal(std::int64_t n, std::uint64_t seed);

// Sylvester Hadamard / sqrt(n); n must be a power of two.
at::Tensor normalizedHadamard(std::int64_t n);

} // namespace ol
