#include "quant/runstore.h"

#include "errors.h"
#include "faultpoint.h"
#include "io/atomicfile.h"
#include "io/directorylock.h"
#include "io/h5file.h"
#include "quant/layerserializer.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

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

} // namespace

RunStore::RunStore(std::string dir, nlohmann::json manifest, bool resume) : m_dir(std::move(dir)), m_manifest(std::move(manifest)) {
    std::error_code ec;
    fs::create_directories(fs::path(m_dir) / "layers", ec);
    if (ec) throw RuntimeFailure("--save_dir " + m_dir + ": cannot create the directory: " + ec.message());
    m_lock = std::make_shared<DirectoryLock>(m_dir, "--save_dir");
    const auto manifestPath = (fs::path(m_dir) / "run.json").string();
    if (fs::exists(manifestPath)) {
        const auto stored = readJson(manifestPath);
        if (!resume)
            throw UsageError("--save_dir " + m_dir + " already holds a quantization run; pass --resume to continue it or choose another directory");
        if (stored.value("fingerprint", "") != m_manifest.at("fingerprint").get<std::string>())
            throw UsageError("cannot --resume the run in " + m_dir + ": it was made with other inputs: " +
                             describeDifference(stored, m_manifest));
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
    if (!s.m_manifest.contains("fingerprint")) throw FormatError(manifestPath + ": no fingerprint");
    while (fs::exists(s.layerPath(s.m_completed))) ++s.m_completed;
    return s;
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
    s.meta = nlohmann::json::parse(f.readString("/meta"));
    return deserializeLayer(s, config, device, path);
}

LayerReport RunStore::loadReport(int index) const {
    auto f = H5File::openRead(layerPath(index));
    return LayerReport::fromJson(nlohmann::json::parse(f.readString("/report")));
}

at::Tensor RunStore::loadCarry(int index) const {
    auto f = H5File::openRead(layerPath(index));
    return f.readTensor("/carry");
}

} // namespace ol
