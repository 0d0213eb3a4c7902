#pragma once
// A method's self-description, read from its plugin's JSON metadata: the
// parameters (name, type, range, default, help) from which the CLI builds
// flags and the GUI builds forms, and their validation.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ol {

struct MethodParameter {
    std::string name;               // reference flag spelling: "block_size"
    std::string type;               // "int" | "double" | "bool" | "choice"
    std::string label, help;
    nlohmann::json defaultValue;
    nlohmann::json minimum, maximum; // null when unbounded
    std::vector<std::string> choices;
};

struct MethodInfo {
    std::string name, title, description, reference;
    std::vector<MethodParameter> parameters;

    // Throws FormatError naming `origin` for malformed metadata.
    static MethodInfo fromJson(const nlohmann::json& j, const std::string& origin);
    const MethodParameter* find(const std::string& name) const;
    // Fills defaults, checks names, types and ranges; UsageError names "--name".
    nlohmann::json resolve(const nlohmann::json& given) const;
    nlohmann::json defaults() const { return resolve(nlohmann::json::object()); }
};

// The settings every method shares (wbits, abits, kv_bits, group_size, symmetric, swc, lac), described the same way.
const MethodInfo& commonQuantParameters();

} // namespace ol
