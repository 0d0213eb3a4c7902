#include "core/quant/quantsettings.h"

#include "core/errors.h"
#include "core/model/modelconfig.h"

#include <nlohmann/json.hpp>

namespace ol {

QuantSpec QuantSettings::weightSpec() const { return {wbits, symmetric, swc, groupSize}; }
QuantSpec QuantSettings::activationSpec() const { return {abits, false, lac, 0}; }
QuantSpec QuantSettings::queryKeySpec() const { return {effectiveKvBits(), false, lac, 0}; }
QuantSpec QuantSettings::valueSpec() const { return {effectiveKvBits(), false, 1.0, 0}; }

void QuantSettings::validate(const ModelConfig& c) const {
    auto bits = [](int b, const char* flag) {
        if (b < 2 || b > 16)
            throw UsageError(std::string(flag) + " " + std::to_string(b) + " is out of range: use 2..16 (16 = not quantized)");
    };
    bits(wbits, "`wbits`");
    bits(abits, "`abits`");
    if (kvBits != -1) bits(kvBits, "`kv_bits`");
    if (!(swc > 0 && swc <= 1)) throw UsageError("`swc` " + std::to_string(swc) + " must be in (0, 1]");
    if (!(lac > 0 && lac <= 1)) throw UsageError("`lac` " + std::to_string(lac) + " must be in (0, 1]");
    if (groupSize < 0) throw UsageError("`group_size` must not be negative");
    if (groupSize > 0) {
        for (std::int64_t cin : {c.hiddenSize, c.numHeads * c.headDim, c.intermediateSize})
            if (cin % groupSize != 0)
                throw UsageError("`group_size` " + std::to_string(groupSize) + " does not divide the " + std::to_string(cin) +
                                 " input channels of a linear layer of this model");
    }
}

nlohmann::json QuantSettings::toJson() const {
    return {
        {"wbits", wbits}, {"abits", abits}, {"kv_bits", effectiveKvBits()}, {"group_size", groupSize}, {"symmetric", symmetric},
        {"swc", swc},     {"lac", lac}};
}

QuantSettings QuantSettings::fromJson(const nlohmann::json& j) {
    QuantSettings s;
    s.wbits = j.value("wbits", s.wbits);
    s.abits = j.value("abits", s.abits);
    s.kvBits = j.value("kv_bits", s.kvBits);
    s.groupSize = j.value("group_size", s.groupSize);
    s.symmetric = j.value("symmetric", s.symmetric);
    s.swc = j.value("swc", s.swc);
    s.lac = j.value("lac", s.lac);
    return s;
}

std::string QuantSettings::label() const {
    std::string l = "W" + std::to_string(wbits) + "A" + std::to_string(abits);
    if (effectiveKvBits() != abits) l += "KV" + std::to_string(effectiveKvBits());
    if (groupSize > 0) l += " g" + std::to_string(groupSize);
    return l;
}

} // namespace ol
