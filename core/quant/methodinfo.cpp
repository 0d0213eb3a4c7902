#include "core/quant/methodinfo.h"

#include "core/errors.h"

#include <cmath>
#include <cstdint>

namespace ol {

namespace {

void checkRange(const MethodParameter& p, double v) {
    auto text = [](double x) {
        auto s = std::to_string(x);
        s.erase(s.find_last_not_of('0') + 1);
        if (!s.empty() && s.back() == '.') s.pop_back();
        return s;
    };
    if (!p.minimum.is_null() && v < p.minimum.get<double>())
        throw UsageError("`" + p.name + "` " + text(v) + " is below its minimum " + text(p.minimum.get<double>()));
    if (!p.maximum.is_null() && v > p.maximum.get<double>())
        throw UsageError("`" + p.name + "` " + text(v) + " is above its maximum " + text(p.maximum.get<double>()));
}

nlohmann::json coerce(const MethodParameter& p, const nlohmann::json& v) {
    const std::string flag = "`" + p.name + "`";
    if (p.type == "bool") {
        if (!v.is_boolean()) throw UsageError(flag + " takes true or false");
        return v;
    }
    if (p.type == "int") {
        if (!v.is_number_integer() && !(v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()))
            throw UsageError(flag + " takes an integer, not " + v.dump());
        // Methods keep their integers as int: a larger value would wrap, not mean what it says.
        const double d = v.get<double>();
        if ((v.is_number_unsigned() && v.get<std::uint64_t>() > std::uint64_t(INT32_MAX)) || d < INT32_MIN || d > INT32_MAX)
            throw UsageError(flag + " " + v.dump() + " is out of range (" + std::to_string(INT32_MIN) + " to " +
                             std::to_string(INT32_MAX) + ")");
        auto i = v.get<std::int64_t>();
        checkRange(p, static_cast<double>(i));
        return i;
    }
    if (p.type == "double") {
        if (!v.is_number()) throw UsageError(flag + " takes a number, not " + v.dump());
        auto d = v.get<double>();
        if (!std::isfinite(d)) throw UsageError(flag + " must be finite");
        checkRange(p, d);
        return d;
    }
    if (!v.is_string()) throw UsageError(flag + " takes one of its choices, not " + v.dump());
    for (const auto& c : p.choices)
        if (c == v.get<std::string>()) return v;
    std::string list;
    for (const auto& c : p.choices) list += (list.empty() ? "" : ", ") + c;
    throw UsageError(flag + " '" + v.get<std::string>() + "' is not one of: " + list);
}

} // namespace

MethodInfo MethodInfo::fromJson(const nlohmann::json& j, const std::string& origin) {
    try {
        MethodInfo m;
        m.name = j.at("name").get<std::string>();
        m.title = j.value("title", m.name);
        m.description = j.value("description", "");
        m.reference = j.value("reference", "");
        for (const auto& pj : j.value("parameters", nlohmann::json::array())) {
            MethodParameter p;
            p.name = pj.at("name").get<std::string>();
            p.type = pj.at("type").get<std::string>();
            if (p.type != "int" && p.type != "double" && p.type != "bool" && p.type != "choice")
                throw FormatError("parameter '" + p.name + "' has unknown type '" + p.type + "'");
            p.label = pj.value("label", p.name);
            p.help = pj.value("help", "");
            p.defaultValue = pj.at("default");
            p.minimum = pj.value("min", nlohmann::json());
            p.maximum = pj.value("max", nlohmann::json());
            p.minimumMeans = pj.value("min_means", "");
            if (pj.contains("choices")) p.choices = pj.at("choices").get<std::vector<std::string>>();
            p.defaultValue = coerce(p, p.defaultValue);
            m.parameters.push_back(std::move(p));
        }
        m.confirms = j.value("confirms", nlohmann::json::object());
        if (!m.confirms.is_object()) throw FormatError("\"confirms\" is not an object");
        for (const auto& [key, c] : m.confirms.items())
            if (!c.is_object() || !c.contains("value")) throw FormatError("confirms." + key + " has no \"value\"");
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(origin + ": malformed method metadata: " + e.what());
    } catch (const Error& e) {
        throw FormatError(origin + ": malformed method metadata: " + e.what());
    }
}

const MethodParameter* MethodInfo::find(const std::string& n) const {
    for (const auto& p : parameters)
        if (p.name == n) return &p;
    return nullptr;
}

bool MethodInfo::confirmed(const std::string& n, const nlohmann::json& value) const {
    auto it = confirms.find(n);
    if (it == confirms.end()) return false;
    if (value != it->at("value"))
        throw UsageError("`" + n + "` " + value.dump() + " contradicts method '" + name + "', which always has " + n + " " +
                         it->at("value").dump() + ": " + it->value("otherwise", "choose another method"));
    return true;
}

nlohmann::json MethodInfo::resolve(const nlohmann::json& given) const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& p : parameters) out[p.name] = p.defaultValue;
    if (given.is_null()) return out;
    if (!given.is_object()) throw UsageError("parameters of method '" + name + "' must be an object");
    for (const auto& [key, value] : given.items()) {
        const auto* p = find(key);
        if (!p) throw UsageError("method '" + name + "' has no parameter --" + key);
        out[key] = coerce(*p, value);
    }
    return out;
}

const MethodInfo& commonQuantParameters() {
    static const MethodInfo info = MethodInfo::fromJson(nlohmann::json::parse(R"json({
      "name": "common", "title": "Bit widths",
      "parameters": [
        {"name": "wbits", "type": "int", "default": 4, "min": 2, "max": 16, "label": "Weight bits", "help": "weight bit width (16 = not quantized)"},
        {"name": "abits", "type": "int", "default": 4, "min": 2, "max": 16, "label": "Activation bits", "help": "activation bit width of every linear input, per token (16 = not quantized)"},
        {"name": "kv_bits", "type": "int", "default": -1, "min": -1, "max": 16, "label": "Q/K/V bits", "min_means": "same as activations", "help": "bit width of Q, K (after rotary) and V, per head and token; -1 = same as `abits`, as the reference"},
        {"name": "group_size", "type": "int", "default": 0, "min": 0, "label": "Weight group", "min_means": "per output channel", "help": "weight quantization groups along the input channels; 0 = one per output channel"},
        {"name": "symmetric", "type": "bool", "default": false, "label": "Symmetric weights", "help": "symmetric weight quantization (activations stay asymmetric)"},
        {"name": "swc", "type": "double", "default": 1.0, "min": 0.01, "max": 1.0, "label": "Weight clip", "help": "static weight clipping ratio (1 = none); wins over `lwc`"},
        {"name": "lac", "type": "double", "default": 1.0, "min": 0.01, "max": 1.0, "label": "Activation clip", "help": "activation clipping ratio for linear inputs and Q/K (1 = none)"}
      ]})json"),
                                                        "built-in common parameters");
    return info;
}

} // namespace ol
