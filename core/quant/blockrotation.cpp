#include "core/quant/blockrotation.h"

#include "core/errors.h"

#include <ATen/ATen.h>
#include <string>

namespace ol {

BlockRotation BlockRotation::identity(std::int64_t channels, std::int64_t blockSize) {
    if (blockSize < 1) throw UsageError("`block_size` must be >= 1, got " + std::to_string(blockSize));
    if (blockSize > channels)
        throw UsageError("`block_size` " + std::to_string(blockSize) + " is larger than the " + std::to_string(channels) +
                         " channels of the activation");
    BlockRotation r;
    r.channels = channels;
    r.blockSize = blockSize;
    r.main = at::eye(blockSize, at::kDouble);
    if (channels % blockSize) r.tail = at::eye(channels % blockSize, at::kDouble);
    return r;
}

at::Tensor BlockRotation::apply(const at::Tensor& x) const {
    if (x.dim() < 1 || x.size(-1) != channels)
        throw UsageError("BlockRotation::apply: expected " + std::to_string(channels) + " channels in the last dimension, got " +
                         (x.dim() ? std::to_string(x.size(-1)) : std::string("a 0-D tensor")));
    const auto opts = x.options();
    const std::int64_t bs = blockSize, head = fullBlocks() * bs, r = tailSize();
    const auto flat = x.reshape({-1, channels});
    // Full blocks: rows of the [rows·K, bs] view times the shared matrix (reshape copies only when a tail follows).
    auto y = flat.narrow(1, 0, head).reshape({-1, bs}).mm(main.to(opts)).view({flat.size(0), head});
    if (r) y = at::cat({y, flat.narrow(1, head, r).mm(tail.to(opts))}, 1);
    return y.view(x.sizes());
}

at::Tensor BlockRotation::dense() const {
    auto m = at::zeros({channels, channels}, at::kDouble);
    const std::int64_t bs = blockSize, head = fullBlocks() * bs, r = tailSize();
    for (std::int64_t b = 0; b < head; b += bs) m.narrow(0, b, bs).narrow(1, b, bs).copy_(main);
    if (r) m.narrow(0, head, r).narrow(1, head, r).copy_(tail);
    return m;
}

} // namespace ol
