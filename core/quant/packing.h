#pragma once
// Bit packing of integer weight codes for export. Each row of codes becomes
// an LSB-first bitstream padded to a whole byte: code j of a row occupies bits
// j*bits .. j*bits+bits-1 of that row's stream (bit k of the stream is bit
// k%8 of byte k/8). Rows stay byte aligned so a row can be read on its own.
#include <ATen/ATen.h>
#include <cstdint>

namespace ol {

struct PackedCodes {
    at::Tensor bytes; // uint8 [rows, packedBytesPerRow(cols, bits)]
    int bits = 0;
    std::int64_t rows = 0, cols = 0;
};

// codes: uint8 [rows, cols], each < 2^bits, bits in {2,3,4,6,8}; otherwise UsageError.
PackedCodes packCodes(const at::Tensor& codes, int bits);
// Exact inverse of packCodes: uint8 [rows, cols].
at::Tensor unpackCodes(const PackedCodes& packed);
// ceil(cols * bits / 8).
std::int64_t packedBytesPerRow(std::int64_t cols, int bits);

} // namespace ol
