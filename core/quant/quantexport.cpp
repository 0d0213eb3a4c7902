#include "core/quant/quantexport.h"

#include "core/errors.h"
#include "core/faultpoint.h"
#include "core/io/atomicfile.h"
#include "core/io/safetensors.h"
#include "core/model/checkpoint.h"
#include "core/model/modelconfig.h"
#include "core/progress.h"
#include "core/quant/layerserializer.h"

#include <ATen/ATen.h>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ol {

namespace {

void writeText(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw RuntimeFailure(p.string() + ": cannot write (disk full or not writable?)");
}

std::string readText(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw FormatError(p.string() + ": cannot be read");
    return {std::istreambuf_iterator<char>(in), {}};
}

nlohmann::json describeQuantization(const Checkpoint& fp, const QuantizedLayer* first, const ExportInfo& info) {
    const auto& m = info.manifest;
    const auto& s = m.at("settings");
    nlohmann::json q;
    q["quant_method"] = "outlierlab";
    q["format_version"] = 2; // 2: per-layer transforms as ordered steps
    q["method"] = m.at("method");
    q["method_title"] = m.value("method_title", m.at("method").get<std::string>());
    q["parameters"] = m.at("parameters");
    q["bits"] = {{"weights", s.at("wbits")}, {"activations", s.at("abits")}, {"query_key_value", s.at("kv_bits")}};
    q["weight_granularity"] = s.at("group_size").get<int>() > 0 ? "per_group" : "per_output_channel";
    q["group_size"] = s.at("group_size");
    q["weight_symmetric"] = s.at("symmetric");
    q["activation_granularity"] = "per_token_dynamic_asymmetric";
    q["query_key_value_granularity"] = "per_head_per_token_dynamic_asymmetric";
    q["clipping"] = {{"swc", s.at("swc")},
                     {"lac", s.at("lac")},
                     {"lwc", first && !first->quantized.empty() && first->quantized.begin()->second.lwcUp.defined()}};
    q["weight_packing"] = "qweight: uint8 [out, ceil(in*bits/8)], each row an LSB-first bitstream of in codes; "
                          "w = (code - zeros) * scales per (row, group)";
    nlohmann::json t;
    if (first) {
        const auto& l = *first;
        t["smoothing_pairs"] = nlohmann::json::array();
        for (const auto& [pair, s2] : l.smoothing) t["smoothing_pairs"].push_back(pair);
        for (Site site : kLinearInputs) {
            const auto& it = l.input(site);
            nlohmann::json d = {{"steps", nlohmann::json::array()}};
            for (const auto& step : it.steps) {
                d["steps"].push_back(stepKindKey(step.kind));
                if ((step.kind == StepKind::BlockRotation || step.kind == StepKind::Hadamard) && !d.contains("block_size"))
                    d["block_size"] = step.rotation.blockSize, d["channels"] = step.rotation.channels;
            }
            if (it.clusterSizes.defined()) d["clusters"] = it.clusterSizes.size(0);
            if (it.staticActivation.set()) d["static_activation_bits"] = it.staticActivation.bits;
            t["inputs"][siteKey(site)] = d;
        }
        t["query_key_hadamard"] = l.queryKeyHadamard;
        t["query_key_reorder"] = l.queryKeyOrder.defined();
        bool anyStatic = false;
        nlohmann::json bits;
        for (int k = 0; k < kSiteCount; ++k) {
            const auto site = static_cast<Site>(k);
            const auto& sq = isLinearInput(site) ? l.input(site).staticActivation : l.staticQuant[k];
            if (sq.set()) bits[siteKey(site)] = sq.bits, anyStatic = true;
        }
        if (anyStatic) {
            // RPTQ: calibrated per-cluster quantizers (per channel, equal within a cluster).
            q["activation_granularity"] = "per_cluster_static_asymmetric";
            q["query_key_value_granularity"] = "per_head_cluster_static_asymmetric";
            q["static_activation_bits"] = bits;
            q["weight_granularity"] = "per_output_channel_per_input_cluster";
        }
    }
    t["apply"] = "x -> the steps of model.layers.<i>.input_transforms.<site> in order (scale: x / step.<k>.vector; permute: "
                 "x[..., step.<k>.vector]; block_rotation: each block of x @ step.<k>.main (the last, smaller one @ .tail); "
                 "householder: x - 2(x.u)u with u = vector/|vector|; hadamard: each block of x @ the normalized Sylvester "
                 "Hadamard), then per-token quantization (or the static per-cluster quantizer .static_scale/.static_zero where "
                 "present); weights are stored already multiplied by the same transform";
    q["transforms"] = t;
    q["rotary_convention"] = fp.config().rotaryInterleaved ? "interleaved" : "rotate_half";
    for (const auto* key : {"fingerprint", "model_fingerprint", "calibration_fingerprint", "calibration", "seed", "fp_ppl",
                            "quant_ppl", "eval_seqlen"})
        if (m.contains(key)) q[key] = m.at(key);
    return q;
}

// The export seen as a checkpoint: non-layer tensors from the file, layer weights dequantized on
// demand (the last layer asked for is kept, so reading a layer's tensors one by one decodes it once).
class ExportedCheckpoint final : public Checkpoint {
public:
    ExportedCheckpoint(std::string dir, ModelConfig config, std::shared_ptr<SafetensorsReader> reader,
                       QuantizedLayerLoader loader, std::string tokenizer)
        : m_dir(std::move(dir)), m_config(std::move(config)), m_reader(std::move(reader)), m_loader(std::move(loader)),
          m_tokenizer(std::move(tokenizer)) {}
    const ModelConfig& config() const override { return m_config; }
    const std::string& path() const override { return m_dir; }
    std::string format() const override { return "outlierlab-quantized"; }
    std::vector<TensorMeta> tensors() const override { return expectedTensors(m_config); }
    bool has(const std::string& name) const override { return layerOf(name) >= 0 || m_reader->find(name); }
    at::Tensor tensor(const std::string& name) const override {
        if (const int i = layerOf(name); i >= 0) return layerTensor(i, name).cpu().contiguous().clone();
        return m_reader->load(name);
    }
    at::Tensor view(const std::string& name) const override {
        if (layerOf(name) >= 0) return tensor(name);
        const auto* e = m_reader->find(name);
        if (!e) throw FormatError(m_reader->path() + ": no tensor '" + name + "'");
        return m_reader->view(*e);
    }
    void release(const std::string& name) const override {
        if (layerOf(name) < 0)
            if (const auto* e = m_reader->find(name)) m_reader->release(*e);
    }
    // Layer weights: the stored form's bytes (packed codes where quantized), which identify the same content.
    std::span<const std::byte> rawBytes(const std::string& name) const override {
        std::string stored = name;
        if (layerOf(name) >= 0 && !m_reader->find(name)) stored = name.substr(0, name.size() - 6) + "qweight";
        const auto* e = m_reader->find(stored);
        if (!e) throw FormatError(m_reader->path() + ": no tensor '" + name + "'");
        return m_reader->rawBytes(*e);
    }
    std::string tokenizerPath() const override { return m_tokenizer; }

private:
    // The layer a decoder weight name belongs to, -1 for the others.
    int layerOf(const std::string& name) const {
        for (int i = 0; i < m_config.numLayers; ++i) {
            if (name == names::inputNorm(i) || name == names::postNorm(i)) return i;
            for (const auto& m : linearModules())
                if (name == names::linear(i, m)) return i;
        }
        return -1;
    }
    const at::Tensor& layerTensor(int i, const std::string& name) const {
        std::lock_guard lock(m_mutex);
        if (m_cachedIndex != i) {
            m_cached = m_loader(i).weights;
            m_cachedIndex = i;
        }
        if (name == names::inputNorm(i)) return m_cached.inputNorm;
        if (name == names::postNorm(i)) return m_cached.postNorm;
        return m_cached.linear(name.substr(names::layerPrefix(i).size(), name.size() - names::layerPrefix(i).size() - 7));
    }

    std::string m_dir;
    ModelConfig m_config;
    std::shared_ptr<SafetensorsReader> m_reader;
    QuantizedLayerLoader m_loader;
    std::string m_tokenizer;
    mutable std::mutex m_mutex;
    mutable int m_cachedIndex = -1;
    mutable LayerWeights m_cached;
};

// Export directories a killed process left half written (<name>.tmp-<pid> of a pid no longer running).
void removeStaleTemporaries(const fs::path& parent, const std::string& name) {
    std::error_code ec;
    const std::string prefix = name + ".tmp-";
    for (const auto& e : fs::directory_iterator(parent, ec)) {
        const auto n = e.path().filename().string();
        if (n.rfind(prefix, 0) != 0) continue;
        const auto pidText = n.substr(prefix.size());
        if (pidText.empty() || pidText.find_first_not_of("0123456789") != std::string::npos) continue;
        const auto pid = static_cast<pid_t>(std::stol(pidText));
        if (pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) fs::remove_all(e.path(), ec);
    }
}

} // namespace

void writeQuantizedExport(const std::string& dir, const Checkpoint& fp, const std::vector<QuantizedLayer>& layers,
                          const ExportInfo& info, Progress* progress) {
    writeQuantizedExport(dir, fp, loaderOf(layers), info, progress);
}

void writeQuantizedExport(const std::string& dir, const Checkpoint& fp, const QuantizedLayerLoader& layers,
                          const ExportInfo& info, Progress* progress) {
    const fs::path out(dir);
    std::error_code ec;
    if (fs::exists(out, ec) && !(fs::is_directory(out, ec) && fs::is_empty(out, ec)))
        throw UsageError(info.flag + " " + dir + ": already exists and is not an empty directory");
    const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
    if (!fs::is_directory(parent, ec)) throw RuntimeFailure(info.flag + " " + dir + ": the parent directory does not exist");
    removeStaleTemporaries(parent, out.filename().string());
    const fs::path tmp = parent / (out.filename().string() + ".tmp-" + std::to_string(::getpid()));
    fs::remove_all(tmp, ec);
    if (!fs::create_directories(tmp, ec) || ec)
        throw RuntimeFailure(info.flag + " " + dir +
                             ": cannot create a directory there: " + (ec ? ec.message() : "not writable"));
    DirectoryGuard guard{tmp.string()};

    // Two passes over the layers, each holding one layer: the first learns every tensor's name, dtype
    // and shape (the safetensors header comes first in the file), the second writes the data.
    const auto& config = fp.config();
    const int L = config.numLayers;
    std::map<std::string, std::string> metadata{{"format", "pt"}, {"producer", "outlierlab"}, {"source", fp.path()}};
    struct Declared {
        std::string name;
        DType dtype;
        std::vector<std::int64_t> shape;
    };
    std::vector<Declared> declared;
    std::vector<std::string> fpNames{names::embedTokens, names::finalNorm};
    if (!config.tieWordEmbeddings && fp.has(names::lmHead)) fpNames.push_back(names::lmHead);
    declared.reserve(fpNames.size());
    for (const auto& name : fpNames) declared.push_back({name, DType::F32, fp.view(name).sizes().vec()});
    nlohmann::json description;
    for (int i = 0; i < L; ++i) {
        if (progress) {
            progress->checkCancelled();
            progress->report(0.1 * i / L, "describing layer " + std::to_string(i + 1));
        }
        const QuantizedLayer l = layers(i);
        if (i == 0) description = describeQuantization(fp, &l, info);
        const auto s = serializeLayer(l);
        metadata["outlierlab.layer." + std::to_string(l.index)] = s.meta.dump();
        for (const auto& [name, t] : s.tensors)
            declared.push_back({names::layerPrefix(l.index) + name, fromScalarType(t.scalar_type()), t.sizes().vec()});
    }
    if (L == 0) description = describeQuantization(fp, nullptr, info);
    auto cfg = nlohmann::json::parse(config.toHfJson());
    cfg["quantization_config"] = description;
    cfg["torch_dtype"] = "float32";
    writeText(tmp / "config.json", cfg.dump(2) + "\n");

    SafetensorsWriter writer((tmp / "model.safetensors").string(), metadata);
    for (const auto& d : declared) writer.declare(d.name, d.dtype, d.shape);
    std::size_t done = 0;
    auto write = [&](const std::string& name, const at::Tensor& t) {
        if (progress) {
            progress->checkCancelled();
            progress->report(0.1 + 0.9 * double(done) / declared.size(), "writing " + name);
        }
        writer.write(name, t);
        if (++done == declared.size() / 2) faultPoint("export-write");
    };
    for (const auto& name : fpNames) write(name, fp.materialize(name, c10::Device(c10::kCPU), at::kFloat));
    for (int i = 0; i < L; ++i) {
        const auto s = serializeLayer(layers(i));
        for (const auto& [name, t] : s.tensors) write(names::layerPrefix(i) + name, t);
    }
    writer.commit();

    nlohmann::json report = info.manifest;
    report["layers"] = info.reports;
    writeText(tmp / "quantization_report.json", report.dump(2) + "\n");
    if (const std::string tok = fp.tokenizerPath(); !tok.empty()) {
        const std::string ext = fs::path(tok).extension().string();
        const std::string name = ext == ".json" ? "tokenizer.json" : ext == ".model" ? "tokenizer.model" : "tokenizer.bin";
        fs::copy_file(tok, tmp / name, ec);
        if (ec) throw RuntimeFailure(tok + ": cannot copy the tokenizer into " + dir + ": " + ec.message());
    }
    if (fs::exists(out, ec)) fs::remove(out, ec);
    fs::rename(tmp, out, ec);
    if (ec) throw RuntimeFailure(info.flag + " " + dir + ": cannot move the finished directory into place: " + ec.message());
    guard.keep = true;
}

bool isQuantizedExport(const std::string& dir) {
    std::error_code ec;
    const auto p = fs::path(dir) / "config.json";
    if (!fs::is_regular_file(p, ec)) return false;
    try {
        auto j = nlohmann::json::parse(readText(p));
        return j.contains("quantization_config") && j["quantization_config"].value("quant_method", "") == "outlierlab";
    } catch (...) {
        return false;
    }
}

QuantizedExport openQuantizedExport(const std::string& dir, c10::Device device) {
    const auto configPath = fs::path(dir) / "config.json";
    const auto text = readText(configPath);
    auto config = ModelConfig::fromHfJson(text, configPath.string());
    nlohmann::json q;
    try {
        q = nlohmann::json::parse(text).at("quantization_config");
        config.rotaryInterleaved = q.at("rotary_convention").get<std::string>() == "interleaved";
    } catch (const nlohmann::json::exception& e) {
        throw FormatError(configPath.string() + ": no usable OutlierLab quantization_config: " + e.what());
    }
    const auto stPath = (fs::path(dir) / "model.safetensors").string();
    auto reader = std::make_shared<SafetensorsReader>(stPath);
    QuantizedExport ex;
    ex.quantizationConfig = q;
    for (int i = 0; i < config.numLayers; ++i) {
        const auto key = "outlierlab.layer." + std::to_string(i);
        if (!reader->metadata().count(key))
            throw FormatError(stPath + ": no description of layer " + std::to_string(i) + " (" + key + ")");
    }
    // Layers are decoded when asked for, one at a time: evaluating an export holds one layer.
    ex.numLayers = config.numLayers;
    ex.loadLayer = [reader, config, device, stPath](int i) {
        const auto key = "outlierlab.layer." + std::to_string(i);
        auto it = reader->metadata().find(key);
        if (it == reader->metadata().end())
            throw FormatError(stPath + ": no description of layer " + std::to_string(i) + " (" + key + ")");
        SerializedLayer s;
        try {
            s.meta = nlohmann::json::parse(it->second);
        } catch (const nlohmann::json::exception& e) {
            throw FormatError(stPath + ": " + key + " is not valid JSON");
        }
        const auto prefix = names::layerPrefix(i);
        for (const auto& e : reader->entries())
            if (e.name.rfind(prefix, 0) == 0) s.tensors[e.name.substr(prefix.size())] = reader->load(e);
        return deserializeLayer(s, config, device, stPath + " layer " + std::to_string(i));
    };
    std::string tokenizer;
    for (const auto* name : {"tokenizer.json", "tokenizer.model", "tokenizer.bin"})
        if (fs::exists(fs::path(dir) / name)) {
            tokenizer = (fs::path(dir) / name).string();
            break;
        }
    ex.checkpoint = std::make_shared<ExportedCheckpoint>(dir, config, reader, ex.loadLayer, tokenizer);
    return ex;
}

std::vector<QuantizedLayer> QuantizedExport::loadAllLayers() const {
    std::vector<QuantizedLayer> out;
    out.reserve(static_cast<std::size_t>(numLayers));
    for (int i = 0; i < numLayers; ++i) out.push_back(loadLayer(i));
    return out;
}

} // namespace ol
