#include "core/quant/runstore.h"

#include "core/errors.h"
#include "core/faultpoint.h"
#include "core/io/atomicfile.h"
#include "core/io/directorylock.h"
#include "core/io/h5file.h"
#include "core/quant/layerserializer.h"
#include "core/quant/methodregistry.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>

namespace fs = std::filesystem;

namespace ol {

namespace {

nlohmann::json readJson(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw FormatError(path + ": cannot be read");
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(path + ": not valid JSON: " + e.what());
    }
}

// A JSON text stored inside a layer file (its /meta or /report string).
nlohmann::json parseStoredJson(const std::string& path, const std::string& what, const std::string& text) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(path + ": " + what + " is not valid JSON: " + e.what());
    }
}

void writeJson(const std::string& path, const nlohmann::json& j) {
    AtomicFile f(path);
    {
        std::ofstream out(f.tempPath());
        out << j.dump(2) << "\n";
        if (!out.flush()) throw RuntimeFailure(path + ": write failed (disk full?)");
    }
    f.commit();
}

// Names the first difference between two manifests for the resume error.
std::string describeDifference(const nlohmann::json& stored, const nlohmann::json& now) {
    for (const auto* key : {"model_fingerprint", "calibration_fingerprint", "method", "parameters", "settings", "seed"}) {
        if (stored.value(key, nlohmann::json()) != now.value(key, nlohmann::json()))
            return std::string(key) + " differs (stored " + stored.value(key, nlohmann::json()).dump() + ", now " +
                   now.value(key, nlohmann::json()).dump() + ")";
    }
    return "fingerprint differs";
}

// Temporaries of AtomicFile (<name>.tmp-<pid>-<n>) that a killed writer left in the run: run.json and
// layer files. Only called under the directory lock, so no live writer owns them.
void removeStaleTemporaries(const fs::path& dir) {
    static const std::regex pattern(R"((run\.json|layer-\d{5}\.h5)\.tmp-\d+-\d+)");
    std::error_code ec;
    for (const auto& folder : {dir, dir / "layers"})
        for (const auto& e : fs::directory_iterator(folder, ec))
            if (e.is_regular_file(ec) && std::regex_match(e.path().filename().string(), pattern)) fs::remove(e.path(), ec);
}

// What export and resume rely on, checked when a run is opened (FormatError naming run.json and the key).
void checkManifest(const nlohmann::json& m, const std::string& path) {
    auto fail = [&](const std::string& what) { throw FormatError(path + ": " + what); };
    if (!m.is_object()) fail("not a JSON object");
    // value() with a default throws when the key holds another type (found by fuzz-runmanifest: "format": 1).
    if (!m.value("format", nlohmann::json()).is_string() || m.at("format").get<std::string>() != "outlierlab-quantization-run")
        fail("'format' is " + m.value("format", nlohmann::json()).dump() + ", not \"outlierlab-quantization-run\"");
    const auto version = m.value("format_version", nlohmann::json());
    if (!version.is_number_integer() || version.get<std::int64_t>() < 1)
        fail("'format_version' is " + version.dump() + ", expected a positive integer");
    if (version.get<std::int64_t>() > kRunFormatVersion)
        fail("run format version " + version.dump() + " is newer than this OutlierLab reads (" +
             std::to_string(kRunFormatVersion) + ")");
    for (const auto* key : {"fingerprint", "model_fingerprint", "method"})
        if (!m.contains(key) || !m.at(key).is_string() || m.at(key).get<std::string>().empty())
            fail("'" + std::string(key) + "' is missing or not a non-empty string");
    const auto layers = m.value("num_layers", nlohmann::json());
    if (!layers.is_number_integer() || layers.get<std::int64_t>() < 1 || layers.get<std::int64_t>() > 100000)
        fail("'num_layers' is " + layers.dump() + ", expected a positive number of layers");
    const auto method = m.at("method").get<std::string>();
    try {
        MethodRegistry::instance().info(method);
    } catch (const Error& e) {
        fail("method '" + method + "' is unknown here (" + e.what() + ")");
    }
    if (!m.value("settings", nlohmann::json()).is_object() || !m.value("parameters", nlohmann::json()).is_object())
        fail("'settings' or 'parameters' is missing or not an object");
}

} // namespace

RunStore::RunStore(std::string dir, nlohmann::json manifest, bool resume)
    : m_dir(std::move(dir)), m_manifest(std::move(manifest)) {
    std::error_code ec;
    const auto manifestPath = (fs::path(m_dir) / "run.json").string();
    // Checked before anything is created: a mistyped directory must not start a fresh run.
    if (resume && !fs::exists(manifestPath, ec))
        throw UsageError("`resume`: " + m_dir + " holds no run to continue (no run.json); leave out `resume` to start one");
    fs::create_directories(fs::path(m_dir) / "layers", ec);
    if (ec) throw RuntimeFailure("`save_dir` " + m_dir + ": cannot create the directory: " + ec.message());
    m_lock = std::make_shared<DirectoryLock>(m_dir, "`save_dir`");
    removeStaleTemporaries(m_dir);
    if (fs::exists(manifestPath)) {
        const auto stored = readJson(manifestPath);
        // Only its fingerprint matters here: it must equal the run's own (whose method may be one not
        // installed as a plugin, as in the tests).
        if (!stored.is_object() || !stored.value("fingerprint", nlohmann::json()).is_string())
            throw FormatError(manifestPath + ": not a quantization run manifest (no 'fingerprint' string)");
        if (!resume)
            throw UsageError("`save_dir` " + m_dir +
                             " already holds a quantization run; pass `resume` to continue it or choose another directory");
        if (stored.at("fingerprint").get<std::string>() != m_manifest.at("fingerprint").get<std::string>())
            throw UsageError("cannot `resume` the run in " + m_dir +
                             ": it was made with other inputs: " + describeDifference(stored, m_manifest));
        while (fs::exists(layerPath(m_completed))) ++m_completed;
    } else {
        // A probe write: an unwritable directory fails here, before any work.
        writeJson(manifestPath, m_manifest);
    }
}

RunStore RunStore::open(const std::string& dir) {
    const auto manifestPath = (fs::path(dir) / "run.json").string();
    if (!fs::exists(manifestPath)) throw FormatError(dir + ": not a quantization run (no run.json)");
    RunStore s;
    s.m_dir = dir;
    s.m_manifest = readJson(manifestPath);
    checkManifest(s.m_manifest, manifestPath);
    while (fs::exists(s.layerPath(s.m_completed))) ++s.m_completed;
    return s;
}

bool RunStore::removeIfEmpty(const std::string& dir, bool removeDir) {
    std::error_code ec;
    if (!fs::exists(fs::path(dir) / "run.json", ec)) return false;
    try {
        DirectoryLock lock(dir, "`save_dir`");
        removeStaleTemporaries(dir);
        if (!fs::is_empty(fs::path(dir) / "layers", ec)) return false;
        fs::remove(fs::path(dir) / "layers", ec);
        fs::remove(fs::path(dir) / "run.json", ec);
        fs::remove(fs::path(dir) / ".lock", ec);
    } catch (const Error&) {
        return false; // another process holds the run: not ours to remove
    }
    if (removeDir && fs::is_empty(dir, ec)) fs::remove(dir, ec);
    return true;
}

std::string RunStore::sessionRunsDir(const std::string& sessionPath) { return sessionPath + ".runs"; }

std::string RunStore::layerPath(int index) const {
    char name[32];
    std::snprintf(name, sizeof name, "layer-%05d.h5", index);
    return (fs::path(m_dir) / "layers" / name).string();
}

void RunStore::save(const QuantizedLayer& layer, const LayerReport& report, const at::Tensor& carry) {
    const auto s = serializeLayer(layer);
    auto f = H5File::create(layerPath(layer.index));
    f.createGroup("/tensors");
    f.setAttribute("/", "fingerprint", m_manifest.at("fingerprint").get<std::string>());
    f.setAttribute("/", "layer", layer.index);
    for (const auto& [name, t] : s.tensors) f.writeTensor("/tensors/" + name, t);
    f.writeString("/meta", s.meta.dump());
    f.writeString("/report", report.toJson().dump());
    faultPoint("layer-write");
    if (carry.defined()) f.writeTensor("/carry", carry);
    f.commit();
    m_completed = std::max(m_completed, layer.index + 1);
}

QuantizedLayer RunStore::loadLayer(int index, const ModelConfig& config, c10::Device device) const {
    const auto path = layerPath(index);
    auto f = H5File::openRead(path);
    if (f.stringAttribute("/", "fingerprint") != m_manifest.at("fingerprint").get<std::string>())
        throw FormatError(path + ": belongs to another run (fingerprint differs from run.json)");
    SerializedLayer s;
    for (const auto& name : f.children("/tensors")) s.tensors[name] = f.readTensor("/tensors/" + name);
    s.meta = parseStoredJson(path, "/meta", f.readString("/meta"));
    return deserializeLayer(s, config, device, path);
}

LayerReport RunStore::loadReport(int index) const {
    const auto path = layerPath(index);
    auto f = H5File::openRead(path);
    const auto j = parseStoredJson(path, "/report", f.readString("/report"));
    try {
        return LayerReport::fromJson(j);
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(path + ": malformed layer report: " + e.what());
    }
}

at::Tensor RunStore::loadCarry(int index) const {
    auto f = H5File::openRead(layerPath(index));
    return f.readTensor("/carry");
}

} // namespace ol
