#pragma once
// Finds the method plugins (OUTLIERLAB_PLUGIN_PATH, the build tree, next to
// the installed binaries), reads their metadata, and creates methods.
#include "core/quant/methodinfo.h"

#include <memory>
#include <string>
#include <vector>

namespace ol {

class QuantMethod;

class MethodRegistry {
public:
    static const MethodRegistry& instance();

    const std::vector<MethodInfo>& methods() const { return m_infos; }
    std::vector<std::string> names() const;
    // UsageError listing the available methods when unknown.
    const MethodInfo& info(const std::string& name) const;
    // Resolves `params` against the metadata, loads the plugin and creates the method.
    std::unique_ptr<QuantMethod> create(const std::string& name, const nlohmann::json& params) const;
    const std::vector<std::string>& searchPaths() const { return m_paths; }

private:
    MethodRegistry();
    std::vector<std::string> m_paths;
    std::vector<MethodInfo> m_infos;
    std::vector<std::string> m_files; // plugin file of each info
};

} // namespace ol
