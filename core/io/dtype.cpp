#include "core/io/dtype.h"

#include "core/errors.h"

#include <array>

namespace ol {

namespace {

struct DTypeInfo {
    DType dtype;
    const char* name;
    std::size_t size;
};

// One row per enumerator, in enum order, so that lookups by DType index it.
constexpr std::array<DTypeInfo, 13> kDTypes{{
    {DType::BOOL, "BOOL", 1},
    {DType::U8, "U8", 1},
    {DType::I8, "I8", 1},
    {DType::I16, "I16", 2},
    {DType::U16, "U16", 2},
    {DType::I32, "I32", 4},
    {DType::U32, "U32", 4},
    {DType::I64, "I64", 8},
    {DType::U64, "U64", 8},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::F32, "F32", 4},
    {DType::F64, "F64", 8},
}};

const DTypeInfo& info(DType dtype) {
    const auto index = static_cast<std::size_t>(dtype);
    if (index >= kDTypes.size()) throw UsageError("invalid DType value " + std::to_string(index));
    return kDTypes[index];
}

} // namespace

std::string dtypeName(DType dtype) { return info(dtype).name; }

DType parseDType(const std::string& text) {
    for (const auto& row : kDTypes)
        if (text == row.name) return row.dtype;
    throw FormatError("unknown dtype '" + text + "'");
}

std::size_t dtypeSize(DType dtype) { return info(dtype).size; }

c10::ScalarType toScalarType(DType dtype) {
    switch (dtype) {
    case DType::BOOL: return c10::ScalarType::Bool;
    case DType::U8: return c10::ScalarType::Byte;
    case DType::I8: return c10::ScalarType::Char;
    case DType::I16: return c10::ScalarType::Short;
    case DType::I32: return c10::ScalarType::Int;
    case DType::I64: return c10::ScalarType::Long;
    case DType::F16: return c10::ScalarType::Half;
    case DType::BF16: return c10::ScalarType::BFloat16;
    case DType::F32: return c10::ScalarType::Float;
    case DType::F64: return c10::ScalarType::Double;
    case DType::U16:
    case DType::U32:
    case DType::U64: break;
    }
    throw FormatError("dtype " + dtypeName(dtype) + " has no LibTorch 1.13 equivalent");
}

DType fromScalarType(c10::ScalarType type) {
    switch (type) {
    case c10::ScalarType::Bool: return DType::BOOL;
    case c10::ScalarType::Byte: return DType::U8;
    case c10::ScalarType::Char: return DType::I8;
    case c10::ScalarType::Short: return DType::I16;
    case c10::ScalarType::Int: return DType::I32;
    case c10::ScalarType::Long: return DType::I64;
    case c10::ScalarType::Half: return DType::F16;
    case c10::ScalarType::BFloat16: return DType::BF16;
    case c10::ScalarType::Float: return DType::F32;
    case c10::ScalarType::Double: return DType::F64;
    default: break;
    }
    throw UsageError(std::string("scalar type ") + c10::toString(type) + " cannot be stored in safetensors");
}

} // namespace ol
