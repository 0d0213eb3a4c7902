#include "core/model/hfcheckpoint.h"

#include "core/errors.h"
#include "core/io/filecheck.h"
#include "core/io/safetensors.h"

#include <ATen/ATen.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace ol {

namespace fs = std::filesystem;

namespace {

std::string readText(const fs::path& file) {
    requireRegularFile(file.string(), "JSON file");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw FormatError(file.string() + ": cannot read");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string shapeText(const std::vector<std::int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

// A shard named by the index must lie inside the model directory: no absolute
// path and no "..", so an index cannot make OutlierLab map /etc/passwd or
// /dev/zero. Checked on the name only: Hugging Face's cache links shards to
// files outside the snapshot directory, which is fine.
void checkShardName(const fs::path& index, const std::string& tensor, const std::string& file) {
    const fs::path p(file);
    auto fail = [&](const std::string& why) {
        throw FormatError(index.string() + ": weight_map entry '" + tensor + "' names shard '" + file + "', " + why);
    };
    if (file.empty()) fail("an empty file name");
    if (p.is_absolute() || p.has_root_name() || p.has_root_directory())
        fail("an absolute path (shards must lie inside the model directory)");
    for (const auto& part : p)
        if (part == "..") fail("a path outside the model directory ('..')");
}

} // namespace

HfCheckpoint::HfCheckpoint(const std::string& directory, const std::string& tokenizer) : m_path(directory) {
    const fs::path dir(directory);
    const fs::path configFile = dir / "config.json";
    std::error_code ec;
    if (!fs::exists(configFile, ec)) throw FormatError(directory + ": no config.json (not a Hugging Face model directory)");
    m_config = ModelConfig::fromHfJson(readText(configFile), configFile.string());

    std::vector<std::string> shardFiles;
    const fs::path index = dir / "model.safetensors.index.json";
    if (fs::exists(index, ec)) {
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(readText(index));
        } catch (const nlohmann::json::exception& e) {
            throw FormatError(index.string() + ": not valid JSON: " + e.what());
        }
        if (!j.contains("weight_map") || !j["weight_map"].is_object())
            throw FormatError(index.string() + ": no 'weight_map' object");
        std::map<std::string, std::size_t> fileIndex;
        for (auto& [name, file] : j["weight_map"].items()) {
            if (!file.is_string()) throw FormatError(index.string() + ": weight_map entry '" + name + "' is not a file name");
            const std::string f = file.get<std::string>();
            checkShardName(index, name, f);
            if (!fileIndex.count(f)) {
                fileIndex[f] = shardFiles.size();
                shardFiles.push_back(f);
            }
        }
    } else if (fs::exists(dir / "model.safetensors", ec)) {
        shardFiles.push_back("model.safetensors");
    } else {
        throw FormatError(directory + ": neither model.safetensors nor model.safetensors.index.json found");
    }

    for (const auto& f : shardFiles) {
        m_shards.push_back(std::make_unique<SafetensorsReader>((dir / f).string()));
        for (const auto& e : m_shards.back()->entries()) m_location[e.name] = m_shards.size() - 1;
    }

    // Layers beyond num_hidden_layers would be dropped without a word: a
    // config.json that disagrees with its weights is refused instead.
    const std::string layersPrefix = "model.layers.";
    for (const auto& [name, shard] : m_location) {
        if (name.rfind(layersPrefix, 0) != 0) continue;
        const auto dot = name.find('.', layersPrefix.size());
        const std::string number = name.substr(layersPrefix.size(), dot - layersPrefix.size());
        if (number.empty() || number.size() > 9 || number.find_first_not_of("0123456789") != std::string::npos) continue;
        if (std::stoll(number) >= m_config.numLayers)
            throw FormatError(configFile.string() + ": num_hidden_layers is " + std::to_string(m_config.numLayers) + " but " +
                              m_shards[shard]->path() + " holds tensor '" + name + "' of layer " + number);
    }

    static const std::set<std::string> kFloatTypes = {"F32", "F16", "BF16"};
    for (const auto& expected : expectedTensors(m_config)) {
        auto it = m_location.find(expected.name);
        if (it == m_location.end()) throw FormatError(directory + ": tensor '" + expected.name + "' is missing");
        const TensorEntry* e = m_shards[it->second]->find(expected.name);
        if (e->shape != expected.shape)
            throw FormatError(m_shards[it->second]->path() + ": tensor '" + expected.name + "' has shape " + shapeText(e->shape) +
                              " but config.json implies " + shapeText(expected.shape));
        if (!kFloatTypes.count(dtypeName(e->dtype)))
            throw FormatError(m_shards[it->second]->path() + ": tensor '" + expected.name + "' has dtype " + dtypeName(e->dtype) +
                              " (expected F32, F16 or BF16)");
    }

    if (!tokenizer.empty()) {
        m_tokenizerPath = tokenizer;
    } else {
        for (const char* candidate : {"tokenizer.json", "tokenizer.model", "tokenizer.bin"}) {
            if (fs::exists(dir / candidate, ec)) {
                m_tokenizerPath = (dir / candidate).string();
                break;
            }
        }
    }
}

HfCheckpoint::~HfCheckpoint() = default;

const SafetensorsReader& HfCheckpoint::shardOf(const std::string& name) const {
    auto it = m_location.find(name);
    if (it == m_location.end()) throw FormatError(m_path + ": no tensor '" + name + "'");
    return *m_shards[it->second];
}

std::vector<TensorMeta> HfCheckpoint::tensors() const {
    std::vector<TensorMeta> out;
    for (const auto& shard : m_shards)
        for (const auto& e : shard->entries()) out.push_back({e.name, e.shape, dtypeName(e.dtype)});
    return out;
}

at::Tensor HfCheckpoint::tensor(const std::string& name) const { return shardOf(name).load(name); }

at::Tensor HfCheckpoint::view(const std::string& name) const {
    const SafetensorsReader& shard = shardOf(name);
    return shard.view(*shard.find(name));
}

void HfCheckpoint::release(const std::string& name) const {
    const SafetensorsReader& shard = shardOf(name);
    shard.release(*shard.find(name));
}

std::span<const std::byte> HfCheckpoint::rawBytes(const std::string& name) const {
    const SafetensorsReader& shard = shardOf(name);
    return shard.rawBytes(*shard.find(name));
}

} // namespace ol
