#pragma once
// The LLaMA/Mistral forward on a batch of token windows. Layers are either
// kept resident (small models) or streamed from the checkpoint one at a time
// (large ones), so a forward never needs the whole model in memory.
#include "core/model/causallm.h"
#include "core/model/layerweights.h"
#include "core/model/modelconfig.h"

#include <c10/core/ScalarType.h>
#include <memory>
#include <vector>

namespace ol {

class Checkpoint;
class ActivationHook;

class LlamaModel : public CausalLm {
public:
    // Resident: every weight converted once and kept (small models: fast repeated forwards).
    // Streamed: each layer converted from the file when it runs and dropped after, embedding rows
    // gathered on demand, the classifier converted a slice of the vocabulary at a time; peak memory
    // is one layer, whatever the model's size. Auto: resident when the float32 weights fit
    // kResidentBytes, streamed otherwise.
    enum class Residency { Auto, Resident, Streamed };
    static constexpr std::int64_t kResidentBytes = 256ll << 20;
    static std::int64_t residentBytesOf(const Checkpoint& checkpoint); // float32 bytes of every weight

    LlamaModel(std::shared_ptr<const Checkpoint> checkpoint, c10::Device device, c10::ScalarType dtype = c10::kFloat,
               Residency residency = Residency::Auto);

    const ModelConfig& config() const { return m_config; }
    const Checkpoint& checkpoint() const { return *m_checkpoint; }
    std::shared_ptr<const Checkpoint> checkpointPtr() const { return m_checkpoint; }
    c10::Device device() const override { return m_device; }
    c10::ScalarType dtype() const { return m_dtype; }
    std::int64_t vocabSize() const override { return m_config.vocabSize; }
    int numLayers() const { return static_cast<int>(m_config.numLayers); }
    bool resident() const { return m_residency == Residency::Resident; }

    // Layer weights: the resident copy, or freshly read from the checkpoint.
    LayerWeights layer(int index) const;
    // Replaces a layer's weights (quantized models keep their edited layers here).
    void setLayer(int index, const LayerWeights& weights);

    at::Tensor embed(const at::Tensor& tokens) const; // [B, T] -> [B, T, H]
    at::Tensor layerForward(int index, const at::Tensor& hidden, ActivationHook* hook = nullptr) const;
    at::Tensor head(const at::Tensor& hidden) const; // final norm + classifier, float32
    // tokenNll from the last layer's output: the classifier a vocabulary slice at a time.
    at::Tensor nllFromHidden(const at::Tensor& hidden, const at::Tensor& tokens) const;
    at::Tensor forward(const at::Tensor& tokens, ActivationHook* hook = nullptr) const;
    at::Tensor logits(const at::Tensor& tokens) override { return forward(tokens, m_hook); }
    at::Tensor tokenNll(const at::Tensor& tokens) override;
    at::Tensor logitsCached(const at::Tensor& tokens, KvCache& cache, const at::Tensor& valid = {},
                            std::int64_t keepLast = 0) override;

    // A hook applied by logits() (e.g. online activation quantization).
    void setDefaultHook(ActivationHook* hook) { m_hook = hook; }
    // At most this many logits exist at once in tokenNll (a slice of the vocabulary of at least 256 rows).
    static constexpr std::int64_t kLogitSliceElements = 16ll << 20;
    void setLogitSliceElements(std::int64_t elements) { m_logitSlice = elements; }

private:
    at::Tensor hiddenStates(const at::Tensor& tokens, ActivationHook* hook) const;
    at::Tensor classifierRows(std::int64_t begin, std::int64_t count) const;
    const char* classifierName() const;

    std::shared_ptr<const Checkpoint> m_checkpoint;
    ModelConfig m_config;
    c10::Device m_device;
    c10::ScalarType m_dtype;
    Residency m_residency;
    at::Tensor m_embed, m_finalNorm, m_lmHead; // m_embed and m_lmHead only when resident
    std::vector<LayerWeights> m_layers;        // empty entries when streamed and not replaced
    ActivationHook* m_hook = nullptr;
    std::int64_t m_logitSlice = kLogitSliceElements;
};

} // namespace ol
