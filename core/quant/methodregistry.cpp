#include "core/quant/methodregistry.h"

#include "core/errors.h"
#include "core/quant/methodplugin.h"

#include <QDir>
#include <QJsonDocument>
#include <QPluginLoader>

#include <cstdlib>
#include <filesystem>
#include <set>

namespace ol {

namespace {

std::vector<std::string> pluginSearchPaths() {
    std::vector<std::string> paths;
    if (const char* env = std::getenv("OUTLIERLAB_PLUGIN_PATH")) { // NOLINT(concurrency-mt-unsafe): no setenv after start-up
        std::string s = env;
        for (std::size_t start = 0; start <= s.size();) {
            auto end = s.find(':', start);
            if (end == std::string::npos) end = s.size();
            if (end > start) paths.push_back(s.substr(start, end - start));
            start = end + 1;
        }
    }
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) paths.push_back((exe.parent_path().parent_path() / "lib" / "outlierlab" / "plugins").string());
#ifdef OUTLIERLAB_PLUGIN_BUILD_DIR
    paths.push_back(OUTLIERLAB_PLUGIN_BUILD_DIR);
#endif
    return paths;
}

} // namespace

const MethodRegistry& MethodRegistry::instance() {
    static const MethodRegistry registry;
    return registry;
}

MethodRegistry::MethodRegistry() : m_paths(pluginSearchPaths()) {
    std::set<std::string> seen;
    for (const auto& dir : m_paths) {
        QDir d(QString::fromStdString(dir));
        for (const auto& entry : d.entryInfoList({"*.so", "*.dylib", "*.dll"}, QDir::Files, QDir::Name)) {
            QPluginLoader loader(entry.absoluteFilePath());
            const auto meta = loader.metaData();
            if (meta.value("IID").toString() != OutlierLabMethodPlugin_iid) continue;
            const auto json = QJsonDocument(meta.value("MetaData").toObject()).toJson(QJsonDocument::Compact).toStdString();
            auto info = MethodInfo::fromJson(nlohmann::json::parse(json), entry.absoluteFilePath().toStdString());
            if (!seen.insert(info.name).second) continue; // earlier paths win
            m_infos.push_back(std::move(info));
            m_files.push_back(entry.absoluteFilePath().toStdString());
        }
    }
}

std::vector<std::string> MethodRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& i : m_infos) out.push_back(i.name);
    return out;
}

const MethodInfo& MethodRegistry::info(const std::string& name) const {
    for (const auto& i : m_infos)
        if (i.name == name) return i;
    std::string list;
    for (const auto& i : m_infos) list += (list.empty() ? "" : ", ") + i.name;
    std::string where;
    for (const auto& p : m_paths) where += (where.empty() ? "" : ", ") + p;
    throw UsageError("unknown method '" + name +
                     "'; available: " + (list.empty() ? "none (no plugins found in " + where + ")" : list));
}

std::unique_ptr<QuantMethod> MethodRegistry::create(const std::string& name, const nlohmann::json& params) const {
    const auto& i = info(name);
    const auto resolved = i.resolve(params);
    const auto& file = m_files[&i - m_infos.data()];
    QPluginLoader loader(QString::fromStdString(file));
    auto* plugin = qobject_cast<MethodPlugin*>(loader.instance());
    if (!plugin) throw FormatError("method plugin " + file + " could not be loaded: " + loader.errorString().toStdString());
    return plugin->create(resolved);
}

} // namespace ol
