#include "core/model/checkpoint.h"

#include "core/errors.h"
#include "core/io/hash.h"
#include "core/model/hfcheckpoint.h"
#include "core/model/llama2ccheckpoint.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <filesystem>

namespace ol {

namespace names {
std::string layerPrefix(int layer) { return "model.layers." + std::to_string(layer) + "."; }
std::string inputNorm(int layer) { return layerPrefix(layer) + "input_layernorm.weight"; }
std::string postNorm(int layer) { return layerPrefix(layer) + "post_attention_layernorm.weight"; }
std::string linear(int layer, const std::string& module) { return layerPrefix(layer) + module + ".weight"; }
const std::vector<std::string>& linearModules() {
    static const std::vector<std::string> list = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                                                  "mlp.gate_proj",    "mlp.up_proj",      "mlp.down_proj"};
    return list;
}
} // namespace names

std::vector<TensorMeta> expectedTensors(const ModelConfig& c) {
    const std::int64_t h = c.hiddenSize, q = c.numHeads * c.headDim, kv = c.numKvHeads * c.headDim, inter = c.intermediateSize;
    std::vector<TensorMeta> out;
    out.push_back({names::embedTokens, {c.vocabSize, h}, ""});
    for (int i = 0; i < c.numLayers; ++i) {
        out.push_back({names::inputNorm(i), {h}, ""});
        out.push_back({names::linear(i, "self_attn.q_proj"), {q, h}, ""});
        out.push_back({names::linear(i, "self_attn.k_proj"), {kv, h}, ""});
        out.push_back({names::linear(i, "self_attn.v_proj"), {kv, h}, ""});
        out.push_back({names::linear(i, "self_attn.o_proj"), {h, q}, ""});
        out.push_back({names::postNorm(i), {h}, ""});
        out.push_back({names::linear(i, "mlp.gate_proj"), {inter, h}, ""});
        out.push_back({names::linear(i, "mlp.up_proj"), {inter, h}, ""});
        out.push_back({names::linear(i, "mlp.down_proj"), {h, inter}, ""});
    }
    out.push_back({names::finalNorm, {h}, ""});
    if (!c.tieWordEmbeddings) out.push_back({names::lmHead, {c.vocabSize, h}, ""});
    return out;
}

std::string Checkpoint::fingerprint() const {
    Fnv64 hash;
    hash.add(config().toHfJson(0));
    hash.add(config().rotaryInterleaved ? "interleaved" : "half");
    auto metas = tensors();
    std::sort(metas.begin(), metas.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
    for (const auto& m : metas) {
        hash.add(m.name);
        hash.add(m.dtype);
        for (auto d : m.shape) hash.add(&d, sizeof d);
        // 16 evenly spaced 64-byte samples: catches changed weights without
        // reading a whole 140 GB checkpoint.
        const auto bytes = rawBytes(m.name);
        const std::size_t chunk = 64, samples = 16;
        if (bytes.size() <= chunk * samples) {
            hash.add(bytes.data(), bytes.size());
        } else {
            for (std::size_t s = 0; s < samples; ++s) {
                const std::size_t at = (bytes.size() - chunk) * s / (samples - 1);
                hash.add(bytes.data() + at, chunk);
            }
        }
        // Each touch of the map faults in (and reads ahead) megabytes: without this, hashing a model
        // left most of its file resident.
        release(m.name);
    }
    return hash.hex();
}

at::Tensor Checkpoint::materialize(const std::string& name, c10::Device device, c10::ScalarType dtype) const {
    // copy=true: a float32 file read as float32 would otherwise alias the read-only map.
    auto out = view(name).to(device, dtype, /*non_blocking=*/false, /*copy=*/true);
    release(name);
    return out;
}

std::shared_ptr<const Checkpoint> openCheckpoint(const std::string& path, const std::string& tokenizer) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::exists(path, ec)) throw FormatError(path + ": no such file or directory");
    if (fs::is_directory(path, ec)) return std::make_shared<HfCheckpoint>(path, tokenizer);
    return std::make_shared<Llama2cCheckpoint>(path, tokenizer);
}

} // namespace ol
