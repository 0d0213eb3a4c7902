#pragma once
// The checkpoint directory of one quantization run (--save_dir): run.json
// (method, parameters, settings, fingerprints of model and calibration data)
// and one HDF5 file per finished layer (layers/layer-00003.h5) with the
// layer's parameters, quantized weights, report and the calibration carry.
// Each file is written under a temporary name and renamed, so a crash at any
// moment leaves only complete layers behind; --resume continues after them.
#include "core/quant/layerquantizer.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace ol {

struct ModelConfig;
class DirectoryLock;

// The run.json format this build writes and reads.
constexpr int kRunFormatVersion = 2; // 2: layers describe their transforms as steps (layerserializer.h)

class RunStore {
public:
    // `manifest` must hold a "fingerprint" string. A fresh run refuses a directory that already holds a
    // run; a resumed one refuses a run with another fingerprint (UsageError saying what differs). The
    // directory stays locked against other writers while the store lives.
    RunStore(std::string dir, nlohmann::json manifest, bool resume);

    const std::string& dir() const { return m_dir; }
    const nlohmann::json& manifest() const { return m_manifest; }
    int completedLayers() const { return m_completed; }

    void save(const QuantizedLayer& layer, const LayerReport& report, const at::Tensor& carry);
    QuantizedLayer loadLayer(int index, const ModelConfig& config, c10::Device device) const;
    LayerReport loadReport(int index) const;
    at::Tensor loadCarry(int index) const;
    std::string layerPath(int index) const;

    // Opens an existing run for reading (export). FormatError when `dir` holds no run.json.
    static RunStore open(const std::string& dir);
    // Removes a run that holds no finished layer (run.json, the empty layers/ folder, the lock, stale
    // temporaries, and `dir` itself when `removeDir` and it is then empty), so that a run that failed
    // before its first layer leaves no stub. False (nothing removed) when a layer is stored or another
    // process holds the run.
    static bool removeIfEmpty(const std::string& dir, bool removeDir);
    // Runs kept next to a session file (<session>.runs/<fingerprint>/), for `export session.h5`.
    static std::string sessionRunsDir(const std::string& sessionPath);

private:
    RunStore() = default;
    std::string m_dir;
    nlohmann::json m_manifest;
    int m_completed = 0;
    std::shared_ptr<DirectoryLock> m_lock; // writers only
};

} // namespace ol
