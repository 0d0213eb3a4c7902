// outlierlab-cli methods: the method plugins found and their parameters (the
// same metadata the GUI builds its forms from).
#include "commands.h"
#include "common.h"

#include "core/errors.h"
#include "core/quant/methodinfo.h"
#include "core/quant/methodregistry.h"

#include <cstdio>

namespace ol::cli {

int runMethods(const Args& args) {
    Flags f("methods", "Lists the quantization methods (plugins) and their parameters.");
    f.add("json", Flags::Kind::Switch, "print the metadata as JSON");
    if (!f.parse(args)) return kExitOk;
    const auto& reg = MethodRegistry::instance();
    auto toJson = [](const MethodInfo& m) {
        nlohmann::json j{{"name", m.name},
                         {"title", m.title},
                         {"description", renderParameters(m.description, ParameterStyle::Flag)},
                         {"reference", m.reference}};
        j["parameters"] = nlohmann::json::array();
        for (const auto& p : m.parameters)
            j["parameters"].push_back({{"name", p.name},
                                       {"type", p.type},
                                       {"label", p.label},
                                       {"help", renderParameters(p.help, ParameterStyle::Flag)},
                                       {"default", p.defaultValue},
                                       {"min", p.minimum},
                                       {"max", p.maximum},
                                       {"choices", p.choices}});
        return j;
    };
    if (f.on("json")) {
        nlohmann::json j{{"common", toJson(commonQuantParameters())}, {"methods", nlohmann::json::array()}};
        for (const auto& m : reg.methods()) j["methods"].push_back(toJson(m));
        printJson(j.dump());
        return kExitOk;
    }
    for (const auto* m : {&commonQuantParameters()}) {
        std::printf("%s (all methods)\n", m->title.c_str());
        for (const auto& p : m->parameters)
            std::printf("  --%-20s %-7s default %-8s %s\n", p.name.c_str(), p.type.c_str(), p.defaultValue.dump().c_str(),
                        renderParameters(p.help, ParameterStyle::Flag).c_str());
    }
    for (const auto& m : reg.methods()) {
        std::printf("\n%s (%s): %s\n", m.name.c_str(), m.title.c_str(),
                    renderParameters(m.description, ParameterStyle::Flag).c_str());
        for (const auto& p : m.parameters)
            std::printf("  --%-20s %-7s default %-8s %s\n", p.name.c_str(), p.type.c_str(), p.defaultValue.dump().c_str(),
                        renderParameters(p.help, ParameterStyle::Flag).c_str());
    }
    if (reg.methods().empty()) {
        std::printf("no method plugins found; searched:\n");
        for (const auto& p : reg.searchPaths()) std::printf("  %s\n", p.c_str());
    }
    return kExitOk;
}

} // namespace ol::cli
