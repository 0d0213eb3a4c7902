#include "core/model/llama2ccheckpoint.h"

#include "core/errors.h"
#include "core/io/mappedfile.h"

#include <ATen/ATen.h>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>

namespace ol {

namespace {
constexpr std::uint64_t kHeaderBytes = 7 * sizeof(std::int32_t);
}

Llama2cCheckpoint::Llama2cCheckpoint(const std::string& path, const std::string& tokenizer)
    : m_path(path), m_file(std::make_unique<MappedFile>(path)) {
    if (m_file->size() < kHeaderBytes)
        throw FormatError(path + ": truncated llama2.c checkpoint: " + std::to_string(m_file->size()) +
                          " bytes, shorter than its 28-byte header");
    std::int32_t h[7];
    std::memcpy(h, m_file->data(), sizeof h);
    const bool shared = h[5] > 0;
    ModelConfig& c = m_config;
    c.modelType = "llama";
    c.hiddenSize = h[0];
    c.intermediateSize = h[1];
    c.numLayers = h[2];
    c.numHeads = h[3];
    c.numKvHeads = h[4];
    c.vocabSize = shared ? h[5] : -static_cast<std::int64_t>(h[5]);
    c.maxPositions = h[6];
    c.headDim = c.numHeads > 0 ? c.hiddenSize / c.numHeads : 0;
    c.rmsNormEps = 1e-5;
    c.ropeTheta = 10000.0;
    c.tieWordEmbeddings = shared;
    c.rotaryInterleaved = true;
    if (c.numHeads > 0 && c.hiddenSize % c.numHeads != 0)
        throw FormatError(path + ": dim " + std::to_string(c.hiddenSize) + " is not a multiple of n_heads " +
                          std::to_string(c.numHeads) + " (not a llama2.c checkpoint?)");
    c.validate(path);

    // Lay out the arrays in file order. The first pass only adds up the bytes (in 128 bits, so that no header
    // can wrap it), and the file must hold them before the second pass records a single entry: a header that
    // claims millions of layers is refused at once instead of filling a table.
    const std::int64_t dim = c.hiddenSize, hidden = c.intermediateSize, L = c.numLayers, kvDim = c.numKvHeads * c.headDim;
    using Bytes = unsigned __int128;
    const auto layout = [&](bool record) {
        Bytes offset = kHeaderBytes;
        auto add = [&](const std::string& name, const std::vector<std::int64_t>& shape, std::int64_t copies = 1) {
            Bytes n = sizeof(float);
            for (auto d : shape) n *= static_cast<std::uint64_t>(d);
            if (record) m_entries[name] = Entry{static_cast<std::uint64_t>(offset), shape};
            offset += n * static_cast<std::uint64_t>(copies);
        };
        auto perLayer = [&](const std::function<std::string(int)>& name, const std::vector<std::int64_t>& shape) {
            if (!record) return add({}, shape, L);
            for (int i = 0; i < L; ++i) add(name(i), shape);
        };
        add(names::embedTokens, {c.vocabSize, dim});
        perLayer(names::inputNorm, {dim});
        perLayer([](int i) { return names::linear(i, "self_attn.q_proj"); }, {dim, dim});
        perLayer([](int i) { return names::linear(i, "self_attn.k_proj"); }, {kvDim, dim});
        perLayer([](int i) { return names::linear(i, "self_attn.v_proj"); }, {kvDim, dim});
        perLayer([](int i) { return names::linear(i, "self_attn.o_proj"); }, {dim, dim});
        perLayer(names::postNorm, {dim});
        perLayer([](int i) { return names::linear(i, "mlp.gate_proj"); }, {hidden, dim});
        perLayer([](int i) { return names::linear(i, "mlp.down_proj"); }, {dim, hidden});
        perLayer([](int i) { return names::linear(i, "mlp.up_proj"); }, {hidden, dim});
        add(names::finalNorm, {dim});
        // Two legacy rotary tables (seq_len x head_dim/2 each) that we recompute.
        offset +=
            Bytes(2) * static_cast<std::uint64_t>(c.maxPositions) * static_cast<std::uint64_t>(c.headDim / 2) * sizeof(float);
        if (!shared) add(names::lmHead, {c.vocabSize, dim});
        return offset;
    };
    const Bytes needed = layout(false);
    if (needed > m_file->size()) {
        const std::string neededText =
            needed > Bytes(UINT64_MAX) ? "more than 2^64" : std::to_string(static_cast<std::uint64_t>(needed));
        throw FormatError(path + ": truncated llama2.c checkpoint: the header (dim " + std::to_string(dim) + ", layers " +
                          std::to_string(L) + ", vocab " + std::to_string(c.vocabSize) + ") needs " + neededText +
                          " bytes, the file has " + std::to_string(m_file->size()));
    }
    layout(true);

    namespace fs = std::filesystem;
    if (!tokenizer.empty()) {
        m_tokenizerPath = tokenizer;
    } else {
        const fs::path dir = fs::path(path).parent_path();
        for (const auto& candidate : {std::string("tokenizer.bin"), "tok" + std::to_string(c.vocabSize) + ".bin"}) {
            std::error_code ec;
            if (fs::exists(dir / candidate, ec)) {
                m_tokenizerPath = (dir / candidate).string();
                break;
            }
        }
    }
}

Llama2cCheckpoint::~Llama2cCheckpoint() = default;

const Llama2cCheckpoint::Entry& Llama2cCheckpoint::entry(const std::string& name) const {
    auto it = m_entries.find(name);
    if (it == m_entries.end()) throw FormatError(m_path + ": no tensor '" + name + "' in this llama2.c checkpoint");
    return it->second;
}

std::vector<TensorMeta> Llama2cCheckpoint::tensors() const {
    std::vector<TensorMeta> out;
    for (const auto& [name, e] : m_entries) out.push_back({name, e.shape, "F32"});
    return out;
}

at::Tensor Llama2cCheckpoint::tensor(const std::string& name) const {
    auto copy = view(name).clone(); // an owned copy of the read-only mapping
    release(name);
    return copy;
}

at::Tensor Llama2cCheckpoint::view(const std::string& name) const {
    const Entry& e = entry(name);
    auto* base = const_cast<std::byte*>(m_file->data() + e.offset);
    return at::from_blob(base, e.shape, at::TensorOptions().dtype(at::kFloat));
}

void Llama2cCheckpoint::release(const std::string& name) const {
    const auto bytes = rawBytes(name);
    m_file->release(bytes.data(), bytes.size());
}

std::span<const std::byte> Llama2cCheckpoint::rawBytes(const std::string& name) const {
    const Entry& e = entry(name);
    std::uint64_t n = sizeof(float);
    for (auto d : e.shape) n *= static_cast<std::uint64_t>(d);
    return {m_file->data() + e.offset, static_cast<std::size_t>(n)};
}

} // namespace ol
