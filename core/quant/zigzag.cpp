#include "core/quant/zigzag.h"

#include "core/errors.h"

#include <ATen/ATen.h>
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

namespace ol {

at::Tensor zigzagPermutation(const at::Tensor& x, std::int64_t blockSize) {
    if (x.dim() != 2)
        throw UsageError("zigzag permutation: activation must be 2-D [tokens, channels], got " + std::to_string(x.dim()) +
                         " dims");
    const std::int64_t c = x.size(1);
    if (blockSize < 1) throw UsageError("`block_size` must be >= 1, got " + std::to_string(blockSize));
    if (blockSize > c)
        throw UsageError("`block_size` " + std::to_string(blockSize) + " is larger than the " + std::to_string(c) +
                         " channels of the activation");
    const auto mt = x.size(0) ? x.abs().amax(0).to(at::kCPU, at::kDouble).contiguous() : at::zeros({c}, at::kDouble);
    if (!at::isfinite(mt).all().item<bool>()) throw UsageError("zigzag permutation: activation contains NaN/Inf");
    const double* m = mt.data_ptr<double>();
    auto byMagnitude = [m](std::int64_t a, std::int64_t b) { return m[a] > m[b] || (m[a] == m[b] && a < b); };

    std::vector<std::int64_t> order(c);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), byMagnitude);

    const std::int64_t k = (c + blockSize - 1) / blockSize;
    std::vector<std::vector<std::int64_t>> blocks(k);
    auto capacity = [&](std::int64_t b) { return b == k - 1 && c % blockSize ? c % blockSize : blockSize; };
    std::int64_t cursor = 0;
    bool up = true;
    auto advance = [&] {
        if (up) {
            if (++cursor == k) cursor = k - 1, up = false;
        } else if (--cursor == -1) {
            cursor = 0, up = true;
        }
    };
    for (std::int64_t ch : order) {
        while (std::int64_t(blocks[cursor].size()) == capacity(cursor)) advance(); // only a short last block fills early
        blocks[cursor].push_back(ch);
        advance();
    }

    auto perm = at::empty({c}, at::kLong);
    auto* p = perm.data_ptr<std::int64_t>();
    for (auto& b : blocks) {
        std::sort(b.begin(), b.end(), byMagnitude);
        p = std::copy(b.begin(), b.end(), p);
    }
    return perm;
}

} // namespace ol
