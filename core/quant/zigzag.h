#pragma once
// DuQuant's zigzag permutation (algorithms.md §1.7.4): channels sorted by
// max |x| are dealt to K = ceil(C/bs) blocks in the order 0,1,…,K−1,K−1,…,0,0,1,…
// so that every block gets a similar share of the outliers. When bs does not
// divide C the last block holds only C mod bs channels; a full block's turn is
// skipped. Each block is then sorted by max |x| descending.
#include <ATen/core/Tensor.h>
#include <cstdint>

namespace ol {

// x [N, C] → int64 [C] with perm[new] = old, so x[:, perm] is the permuted tensor.
// Ties in max |x| keep the lower channel index first.
at::Tensor zigzagPermutation(const at::Tensor& x, std::int64_t blockSize);

} // namespace ol
