#pragma once
// A block-diagonal rotation of the channel axis: one bs×bs matrix shared by
// every full block (as DuQuant, algorithms.md §1.7.3) and, when bs does not
// divide C, an own r×r matrix for the last r = C mod bs channels.
#include <ATen/core/Tensor.h>
#include <cstdint>

namespace ol {

struct BlockRotation {
    std::int64_t channels = 0, blockSize = 0;
    at::Tensor main; // [bs, bs] float64
    at::Tensor tail; // [r, r] float64, undefined when r == 0

    static BlockRotation identity(std::int64_t channels, std::int64_t blockSize);
    std::int64_t fullBlocks() const { return blockSize > 0 ? channels / blockSize : 0; }
    std::int64_t tailSize() const { return blockSize > 0 ? channels % blockSize : 0; }

    // x [..., C] → x·diag(main, ..., main, tail) on the last dim, in x's dtype and device.
    at::Tensor apply(const at::Tensor& x) const;
    // [C, C] float64 block-diagonal matrix.
    at::Tensor dense() const;
};

} // namespace ol
