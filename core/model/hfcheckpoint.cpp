#include "model/hfcheckpoint.h"

#include "errors.h"
#include "io/safetensors.h"

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
    std::ifstream in(file, std::ios::binary);
    if (!in)
        throw FormatError(file.string() + ": cannot read");
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string shapeText(const std::vector<std::int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

} // namespace

HfCheckpoint::HfCheckpoint(const std::string& directory, const std::string& tokenizer) : m_path(directory) {
    const fs::path dir(directory);
    const fs::path configFile = dir / "config.json";
    std::error_code ec;
    if (!fs::exists(configFile, ec))
        throw FormatError(directory + ": no config.json (not a Hugging Face model directory)");
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
            if (!file.is_string())
                throw FormatError(index.string() + ": weight_map entry '" + name + "' is not a file name");
            const std::string f = file.get<std::string>();
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
        for (const auto& e : m_shards.back()->entries())
            m_location[e.name] = m_shards.size() - 1;
    }

    static const std::set<std::string> kFloatTypes = {"F32", "F16", "BF16"};
    for (const auto& expected : expectedTensors(m_config)) {
        auto it = m_location.find(expected.name);
        if (it == m_location.end())
            throw FormatError(directory + ": tensor '" + expected.name + "' is missing");
        const TensorEntry* e = m_shards[it->second]->find(expected.name);
        if (e->shape != expected.shape)
            throw FormatError(m_shards[it->second]->path() + ": tensor '" + expected.name + "' has shape " +
                              shapeText(e->shape) + " but config.json implies " + shapeText(expected.shape));
        if (!kFloatTypes.count(dtypeName(e->dtype)))
            throw FormatError(m_shards[it->second]->path() + ": tensor '" + expected.name + "' has dtype " +
                              dtypeName(e->dtype) + " (expected F32, F16 or BF16)");
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
    if (it == m_location.end())
        throw FormatError(m_path + ": no tensor '" + name + "'");
    return *m_shards[it->second];
}

std::vector<TensorMeta> HfCheckpoint::tensors() const {
    std::vector<TensorMeta> out;
    for (const auto& shard : m_shards)
        for (const auto& e : shard->entries())
            out.push_back({e.name, e.shape, dtypeName(e.dtype)});
    return out;
}

at::Tensor HfCheckpoint::tensor(const std::string& name) const { return shardOf(name).load(name); }

std::span<const std::byte> HfCheckpoint::rawBytes(const std::string& name) const {
    const SafetensorsReader& shard = shardOf(name);
    return shard.rawBytes(*shard.find(name));
}

} // namespace ol
