#pragma once
// CLI flags built from the method plugins' JSON metadata: the common bit-width
// parameters and every method's own parameters, each under its reference
// spelling (--block_size, --max_rotation_step, ...). Boolean parameters that
// default to true also get --no_<name>.
#include "flags.h"

#include <nlohmann/json.hpp>

namespace ol {
struct QuantSettings;
}

namespace ol::cli {

void addQuantFlags(Flags& flags);
// The common settings from the parsed flags.
QuantSettings quantSettingsFromFlags(const Flags& flags);
// The given parameters of `method` (UsageError for a given flag that belongs only to other methods).
nlohmann::json methodParamsFromFlags(const Flags& flags, const std::string& method);
// Same from a JSON object of flag values (batch recipes), keys with or without leading dashes.
nlohmann::json methodParamsFromJson(const nlohmann::json& values, const std::string& method);
QuantSettings quantSettingsFromJson(const nlohmann::json& values);

} // namespace ol::cli
