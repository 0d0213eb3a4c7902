#pragma once
// A model on disk. Tensors are addressed by their Hugging Face names and
// materialized one at a time from a memory map, so a 70B checkpoint opens in
// seconds; nothing is loaded until asked for.
#include "core/model/modelconfig.h"

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace ol {

struct TensorMeta {
    std::string name;
    std::vector<std::int64_t> shape;
    std::string dtype; // safetensors spelling: F32, F16, BF16, ...
};

class Checkpoint {
public:
    virtual ~Checkpoint() = default;
    virtual const ModelConfig& config() const = 0;
    virtual const std::string& path() const = 0;
    virtual std::string format() const = 0; // "llama2c" or "hf-safetensors"
    virtual std::vector<TensorMeta> tensors() const = 0;
    virtual bool has(const std::string& name) const = 0;
    // CPU tensor in its stored dtype, owning its memory. Throws FormatError
    // naming the file and tensor when absent.
    virtual at::Tensor tensor(const std::string& name) const = 0;
    // The stored bytes, without copying (for fingerprints).
    virtual std::span<const std::byte> rawBytes(const std::string& name) const = 0;
    // The tensor in its stored dtype without a copy where the format allows
    // (a view of the memory map): read it — convert it, gather rows — and
    // never write it. Other checkpoints return tensor(name).
    virtual at::Tensor view(const std::string& name) const { return tensor(name); }
    // Drops the resident pages of a tensor read through view() (a memory
    // map's pages count in the process's RSS); a no-op where nothing is mapped.
    virtual void release(const std::string& /*name*/) const {}
    // The tensor converted to `dtype` on `device` as a fresh tensor (never a
    // view of the file), its pages released afterwards: how layers stream.
    at::Tensor materialize(const std::string& name, c10::Device device, c10::ScalarType dtype) const;
    // Tokenizer found beside the weights, or "" when none.
    virtual std::string tokenizerPath() const = 0;

    // 16 hex digits identifying config, tensor layout and sampled weight bytes
    // (cheap even for 70B models: a few KiB per tensor are hashed).
    std::string fingerprint() const;
};

// Hugging Face tensor names of a LLaMA decoder.
namespace names {
std::string layerPrefix(int layer); // "model.layers.3."
std::string inputNorm(int layer);
std::string postNorm(int layer);
std::string linear(int layer, const std::string& module); // module: "self_attn.q_proj", "mlp.down_proj", ...
inline const char* embedTokens = "model.embed_tokens.weight";
inline const char* finalNorm = "model.norm.weight";
inline const char* lmHead = "lm_head.weight";
// The seven linear modules of a decoder layer, in execution order.
const std::vector<std::string>& linearModules();
} // namespace names

// Expected tensor names and shapes for a config (used to validate files).
std::vector<TensorMeta> expectedTensors(const ModelConfig& config);

// Opens a llama2.c .bin file or a Hugging Face directory (config.json +
// safetensors). `tokenizer` overrides the tokenizer found beside the model.
std::shared_ptr<const Checkpoint> openCheckpoint(const std::string& path, const std::string& tokenizer = {});

} // namespace ol
