#include "methodflags.h"

#include "core/errors.h"
#include "core/quant/methodinfo.h"
#include "core/quant/methodregistry.h"
#include "core/quant/quantsettings.h"

#include <map>
#include <set>

namespace ol::cli {

namespace {

Flags::Kind kindOf(const MethodParameter& p) {
    if (p.type == "int") return Flags::Kind::Int;
    if (p.type == "double") return Flags::Kind::Double;
    if (p.type == "bool") return Flags::Kind::Switch;
    return Flags::Kind::String;
}

std::string helpOf(const MethodParameter& p, const std::string& owners) {
    std::string h = p.help;
    if (p.type != "bool")
        h += " (default " + (p.defaultValue.is_string() ? p.defaultValue.get<std::string>() : p.defaultValue.dump()) + ")";
    if (!owners.empty()) h += " [" + owners + "]";
    return h;
}

// Every parameter name of every method, with the methods that have it.
std::map<std::string, std::pair<const MethodParameter*, std::string>> methodParameters() {
    std::map<std::string, std::pair<const MethodParameter*, std::string>> out;
    for (const auto& info : MethodRegistry::instance().methods())
        for (const auto& p : info.parameters) {
            auto& e = out[p.name];
            if (!e.first) e.first = &p;
            e.second += (e.second.empty() ? "" : ", ") + info.name;
        }
    return out;
}

} // namespace

void addQuantFlags(Flags& f) {
    for (const auto& p : commonQuantParameters().parameters) f.add(p.name, kindOf(p), helpOf(p, ""));
    for (const auto& [name, e] : methodParameters()) {
        f.add(name, kindOf(*e.first), helpOf(*e.first, e.second));
        if (e.first->type == "bool" && e.first->defaultValue.get<bool>())
            f.add("no_" + name, Flags::Kind::Switch, "turn off --" + name + " [" + e.second + "]");
    }
}

QuantSettings quantSettingsFromFlags(const Flags& f) {
    nlohmann::json values = nlohmann::json::object();
    for (const auto& p : commonQuantParameters().parameters) {
        if (!f.given(p.name)) continue;
        if (p.type == "int")
            values[p.name] = f.integer(p.name);
        else if (p.type == "double")
            values[p.name] = f.real(p.name);
        else if (p.type == "bool")
            values[p.name] = f.on(p.name);
    }
    return quantSettingsFromJson(values);
}

QuantSettings quantSettingsFromJson(const nlohmann::json& values) {
    nlohmann::json given = nlohmann::json::object();
    for (const auto& p : commonQuantParameters().parameters)
        if (values.contains(p.name)) given[p.name] = values.at(p.name);
    return QuantSettings::fromJson(commonQuantParameters().resolve(given));
}

nlohmann::json methodParamsFromFlags(const Flags& f, const std::string& method) {
    const auto& info = MethodRegistry::instance().info(method);
    nlohmann::json given = nlohmann::json::object();
    for (const auto& [name, e] : methodParameters()) {
        const bool hasNo = e.first->type == "bool" && e.first->defaultValue.get<bool>();
        const bool on = f.given(name), off = hasNo && f.given("no_" + name) && f.on("no_" + name);
        if (!on && !off) continue;
        const auto* p = info.find(name);
        if (!p && e.first->type == "bool" && info.confirmed(name, !off && f.on(name))) continue;
        if (!p) throw UsageError("--" + name + " is not a parameter of method '" + method + "' (it belongs to " + e.second + ")");
        if (p->type == "int")
            given[name] = f.integer(name);
        else if (p->type == "double")
            given[name] = f.real(name);
        else if (p->type == "bool")
            given[name] = off ? false : f.on(name);
        else
            given[name] = f.str(name);
    }
    return info.resolve(given);
}

nlohmann::json methodParamsFromJson(const nlohmann::json& values, const std::string& method) {
    const auto& info = MethodRegistry::instance().info(method);
    std::set<std::string> common;
    for (const auto& p : commonQuantParameters().parameters) common.insert(p.name);
    nlohmann::json given = nlohmann::json::object();
    for (const auto& [key, value] : values.items()) {
        std::string name = key;
        while (!name.empty() && name[0] == '-') name.erase(0, 1);
        if (common.count(name)) continue;
        if (name.rfind("no_", 0) == 0 && (info.find(name.substr(3)) || info.confirms.contains(name.substr(3)))) {
            if (!value.is_boolean()) throw UsageError("--" + name + " takes true or false, not " + value.dump());
            if (info.confirmed(name.substr(3), !value.get<bool>())) continue;
            given[name.substr(3)] = !value.get<bool>();
            continue;
        }
        if (info.confirmed(name, value)) continue;
        given[name] = value;
    }
    return info.resolve(given);
}

} // namespace ol::cli
