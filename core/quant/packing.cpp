#include "core/quant/packing.h"

#include "core/errors.h"

#include <ATen/Parallel.h>
#include <string>

namespace ol {

namespace {

void checkBits(int bits, const char* where) {
    if (bits != 2 && bits != 3 && bits != 4 && bits != 6 && bits != 8)
        throw UsageError(std::string(where) + ": bits must be one of 2, 3, 4, 6, 8, got " + std::to_string(bits));
}

// Rows are independent streams, so they are split across threads; the grain
// keeps small matrices on one thread.
template <class F> void forRows(std::int64_t rows, std::int64_t cols, F&& f) {
    const std::int64_t grain = std::max<std::int64_t>(1, (1 << 16) / std::max<std::int64_t>(cols, 1));
    at::parallel_for(0, rows, grain, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t r = begin; r < end; ++r) f(r);
    });
}

} // namespace

std::int64_t packedBytesPerRow(std::int64_t cols, int bits) {
    checkBits(bits, "packedBytesPerRow");
    if (cols < 0) throw UsageError("packedBytesPerRow: cols must be >= 0, got " + std::to_string(cols));
    return (cols * bits + 7) / 8;
}

PackedCodes packCodes(const at::Tensor& codes, int bits) {
    checkBits(bits, "packCodes");
    if (!codes.defined() || codes.dim() != 2 || codes.scalar_type() != at::kByte)
        throw UsageError("packCodes: codes must be a uint8 [rows, cols] tensor");
    const at::Tensor c = codes.detach().to(at::kCPU).contiguous();
    const std::int64_t rows = c.size(0), cols = c.size(1);
    const std::uint8_t* src = c.data_ptr<std::uint8_t>();

    // Range check first, so a bad value is reported with its position.
    if (c.numel() > 0 && c.max().item<int>() >= (1 << bits)) {
        std::int64_t i = 0;
        while (src[i] < (1 << bits)) ++i;
        throw UsageError("packCodes: code " + std::to_string(src[i]) + " at [" + std::to_string(i / cols) + ", " +
                         std::to_string(i % cols) + "] does not fit in " + std::to_string(bits) + " bits");
    }

    PackedCodes p;
    p.bits = bits;
    p.rows = rows;
    p.cols = cols;
    const std::int64_t bpr = packedBytesPerRow(cols, bits);
    p.bytes = at::empty({rows, bpr}, at::kByte);
    std::uint8_t* dst = p.bytes.data_ptr<std::uint8_t>();
    forRows(rows, cols, [&](std::int64_t r) {
        const std::uint8_t* in = src + r * cols;
        std::uint8_t* out = dst + r * bpr;
        std::uint32_t acc = 0; // pending bits, LSB first (at most 7 + 8 of them)
        int n = 0;
        for (std::int64_t j = 0; j < cols; ++j) {
            acc |= std::uint32_t(in[j]) << n;
            n += bits;
            while (n >= 8) {
                *out++ = std::uint8_t(acc);
                acc >>= 8;
                n -= 8;
            }
        }
        if (n > 0) *out = std::uint8_t(acc); // padding bits are zero
    });
    return p;
}

at::Tensor unpackCodes(const PackedCodes& p) {
    checkBits(p.bits, "unpackCodes");
    const std::int64_t bpr = packedBytesPerRow(p.cols, p.bits);
    if (!p.bytes.defined() || p.bytes.scalar_type() != at::kByte || p.bytes.dim() != 2 || p.rows < 0 ||
        p.bytes.size(0) != p.rows || p.bytes.size(1) != bpr)
        throw UsageError("unpackCodes: bytes must be uint8 [" + std::to_string(p.rows) + ", " + std::to_string(bpr) + "] for " +
                         std::to_string(p.cols) + " codes of " + std::to_string(p.bits) + " bits");
    const at::Tensor b = p.bytes.to(at::kCPU).contiguous();
    const std::uint8_t* src = b.data_ptr<std::uint8_t>();
    at::Tensor codes = at::empty({p.rows, p.cols}, at::kByte);
    std::uint8_t* dst = codes.data_ptr<std::uint8_t>();
    const std::uint32_t mask = (1u << p.bits) - 1u;
    const int bits = p.bits;
    const std::int64_t cols = p.cols;
    forRows(p.rows, cols, [&](std::int64_t r) {
        const std::uint8_t* in = src + r * bpr;
        std::uint8_t* out = dst + r * cols;
        std::uint32_t acc = 0;
        int n = 0;
        for (std::int64_t j = 0; j < cols; ++j) {
            if (n < bits) { // bits <= 8, so one byte is always enough
                acc |= std::uint32_t(*in++) << n;
                n += 8;
            }
            out[j] = std::uint8_t(acc & mask);
            acc >>= bits;
            n -= bits;
        }
    });
    return codes;
}

} // namespace ol
