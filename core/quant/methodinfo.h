#pragma once
// A method's self-description, read from its plugin's JSON metadata: the
// parameters (name, type, range, default, help) from which the CLI builds
// flags and the GUI builds forms, and their validation.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ol {

struct MethodParameter {
    std::string name; // reference flag spelling: "block_size"
    std::string type; // "int" | "double" | "bool" | "choice"
    std::string label, help;
    nlohmann::json defaultValue;
    nlohmann::json minimum, maximum; // null when unbounded
    std::vector<std::string> choices;
    std::string minimumMeans; // what the minimum stands for, shown instead of it ("same as activations")
};

struct MethodInfo {
    std::string name, title, description, reference;
    std::vector<MethodParameter> parameters;
    // Parameters of other methods that this one accepts with one value only, as a confirmation of
    // what it always does (SmoothQuant: "confirms": {"smooth": {"value": true, "otherwise": "..."}},
    // as its references write --smooth --alpha); not stored with the run. Another value is a
    // UsageError with the "otherwise" advice.
    nlohmann::json confirms = nlohmann::json::object();

    // Throws FormatError naming `origin` for malformed metadata.
    static MethodInfo fromJson(const nlohmann::json& j, const std::string& origin);
    const MethodParameter* find(const std::string& name) const;
    // True when `name` is a confirmation and `value` its value; UsageError naming --name for another
    // value; false when `name` is no confirmation of this method.
    bool confirmed(const std::string& name, const nlohmann::json& value) const;
    // Fills defaults, checks names, types and ranges; UsageError names "--name".
    nlohmann::json resolve(const nlohmann::json& given) const;
    nlohmann::json defaults() const { return resolve(nlohmann::json::object()); }
};

// The settings every method shares (wbits, abits, kv_bits, group_size, symmetric, swc, lac), described the same way.
const MethodInfo& commonQuantParameters();

} // namespace ol
