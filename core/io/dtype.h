#pragma once
// Element types as spelled by the safetensors format, and their mapping onto
// LibTorch's scalar types. The format knows unsigned types that LibTorch 1.13
// does not (U16, U32, U64): such tensors can be listed and their raw bytes
// read, but not loaded as at::Tensor.
#include <c10/core/ScalarType.h>

#include <cstddef>
#include <string>

namespace ol {

enum class DType { BOOL, U8, I8, I16, U16, I32, U32, I64, U64, F16, BF16, F32, F64 };

// The safetensors spelling: "BOOL", "U8", ..., "F32".
std::string dtypeName(DType dtype);
// Inverse of dtypeName; throws FormatError("unknown dtype 'X'") for anything
// else (the caller adds the file and tensor to the message).
DType parseDType(const std::string& text);
// Bytes per element.
std::size_t dtypeSize(DType dtype);

// Throws FormatError for U16/U32/U64, which have no LibTorch 1.13 equivalent.
c10::ScalarType toScalarType(DType dtype);
// Throws UsageError for scalar types the format cannot store (complex,
// quantized, ...).
DType fromScalarType(c10::ScalarType type);

} // namespace ol
