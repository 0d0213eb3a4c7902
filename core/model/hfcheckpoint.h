#pragma once
// A Hugging Face model directory: config.json plus model.safetensors or the
// shards listed in model.safetensors.index.json (F32, F16 or BF16).
#include "core/model/checkpoint.h"

#include <map>
#include <memory>

namespace ol {

class SafetensorsReader;

class HfCheckpoint final : public Checkpoint {
public:
    // Parses config.json, maps every shard and checks that each expected
    // tensor exists with the shape config.json implies (FormatError otherwise).
    explicit HfCheckpoint(const std::string& directory, const std::string& tokenizer = {});
    ~HfCheckpoint() override;

    const ModelConfig& config() const override { return m_config; }
    const std::string& path() const override { return m_path; }
    std::string format() const override { return "hf-safetensors"; }
    std::vector<TensorMeta> tensors() const override;
    bool has(const std::string& name) const override { return m_location.count(name) > 0; }
    at::Tensor tensor(const std::string& name) const override;
    std::span<const std::byte> rawBytes(const std::string& name) const override;
    at::Tensor view(const std::string& name) const override;
    void release(const std::string& name) const override;
    std::string tokenizerPath() const override { return m_tokenizerPath; }

private:
    const SafetensorsReader& shardOf(const std::string& name) const;

    std::string m_path;
    std::string m_tokenizerPath;
    ModelConfig m_config;
    std::vector<std::unique_ptr<SafetensorsReader>> m_shards;
    std::map<std::string, std::size_t> m_location; // tensor name -> shard index
};

} // namespace ol
