#pragma once
// Bit widths and quantizer options shared by every method (the reference
// projects' --wbits --abits --kv_bits --group_size --symmetric --swc --lac).
#include "core/quant/quantizer.h"

#include <nlohmann/json_fwd.hpp>

namespace ol {

struct ModelConfig;

struct QuantSettings {
    int wbits = 4;
    int abits = 4;
    int kvBits = -1;            // -1: same as abits (the reference quantizes Q/K/V at abits)
    std::int64_t groupSize = 0; // weight groups along Cin; 0 = per output channel
    bool symmetric = false;     // weights only, as the reference
    double swc = 1.0;           // static weight clipping ratio
    double lac = 1.0;           // activation clipping ratio (linear inputs and Q/K)

    int effectiveKvBits() const { return kvBits < 0 ? abits : kvBits; }
    QuantSpec weightSpec() const;
    QuantSpec activationSpec() const;
    QuantSpec queryKeySpec() const; // kv bits, lac applies (reference copies the activation params)
    QuantSpec valueSpec() const;    // kv bits, no clipping

    // Throws UsageError naming the flag (--abits 0, --group_size 100 that does not divide 64, ...).
    void validate(const ModelConfig& config) const;
    nlohmann::json toJson() const;
    static QuantSettings fromJson(const nlohmann::json& j);
    std::string label() const; // "W4A4KV4", "W4A16", "W4A4KV16 g128"
};

} // namespace ol
