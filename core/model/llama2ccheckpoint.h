#pragma once
// llama2.c legacy checkpoint: a header of 7 int32 (dim, hidden_dim, n_layers,
// n_heads, n_kv_heads, vocab_size — negative when the classifier is separate —
// and seq_len), then float32 arrays, each matrix stored (out, in) row-major.
#include "core/model/checkpoint.h"

#include <map>
#include <memory>

namespace ol {

class MappedFile;

class Llama2cCheckpoint final : public Checkpoint {
public:
    // Throws FormatError naming the file when it is truncated or its header is
    // inconsistent. `tokenizer` overrides the tokenizer.bin / tok<vocab>.bin
    // looked up beside the file.
    explicit Llama2cCheckpoint(const std::string& path, const std::string& tokenizer = {});
    ~Llama2cCheckpoint() override;

    const ModelConfig& config() const override { return m_config; }
    const std::string& path() const override { return m_path; }
    std::string format() const override { return "llama2c"; }
    std::vector<TensorMeta> tensors() const override;
    bool has(const std::string& name) const override { return m_entries.count(name) > 0; }
    at::Tensor tensor(const std::string& name) const override;
    std::span<const std::byte> rawBytes(const std::string& name) const override;
    at::Tensor view(const std::string& name) const override;
    void release(const std::string& name) const override;
    std::string tokenizerPath() const override { return m_tokenizerPath; }

private:
    struct Entry {
        std::uint64_t offset; // in bytes from the start of the file
        std::vector<std::int64_t> shape;
    };
    const Entry& entry(const std::string& name) const;

    std::string m_path;
    std::string m_tokenizerPath;
    ModelConfig m_config;
    std::unique_ptr<MappedFile> m_file;
    std::map<std::string, Entry> m_entries;
};

} // namespace ol
