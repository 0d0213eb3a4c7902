#pragma once
// The LLaMA/Mistral forward on a batch of token windows. Layers are either
// kept resident (small models) or streamed from the checkpoint one at a time
// (large ones), so a forward never needs the whole model in memory.
#include "model/causallm.h"
#include "model/layerweights.h"
#include "model/modelconfig.h"

#include <c10/core/ScalarType.h>
#include <memory>
#include <vector>

namespace ol {

class Checkpoint;
class ActivationHook;

class LlamaModel : public CausalLm {
public:
    enum class Residency { Resident, Streamed };

    LlamaModel(std::shared_ptr<const Checkpoint> checkpoint, c10::Device device,
               c10::ScalarType dtype = c10::kFloat, Residency residency = Residency::Resident);

    const ModelConfig& config() const { return m_config; }
    const Checkpoint& checkpoint() const { return *m_checkpoint; }
    std::shared_ptr<const Checkpoint> checkpointPtr() const { return m_checkpoint; }
    c10::Device device() const override { return m_device; }
    c10::ScalarType dtype() const { return m_dtype; }
    std::int64_t vocabSize() const override { return m_config.vocabSize; }
    int numLayers() const { return static_cast<int>(m_config.numLayers); }

    // Layer weights: the resident copy, or freshly read from the checkpoint.
    LayerWeights layer(int index) const;
    // Replaces a layer's weights (quantized models keep their edited layers here).
    void setLayer(int index, LayerWeights weights);

    at::Tensor embed(const at::Tensor& tokens) const;                 // [B, T] -> [B, T, H]
    at::Tensor layerForward(int index, const at::Tensor& hidden, ActivationHook* hook = nullptr) const;
    at::Tensor head(const at::Tensor& hidden) const;                  // final norm + classifier, float32
    at::Tensor forward(const at::Tensor& tokens, ActivationHook* hook = nullptr) const;
    at::Tensor logits(const at::Tensor& tokens) override { return forward(tokens, m_hook); }

    // A hook applied by logits() (e.g. online activation quantization).
    void setDefaultHook(ActivationHook* hook) { m_hook = hook; }

private:
    std::shared_ptr<const Checkpoint> m_checkpoint;
    ModelConfig m_config;
    c10::Device m_device;
    c10::ScalarType m_dtype;
    Residency m_residency;
    at::Tensor m_embed, m_finalNorm, m_lmHead;
    std::vector<LayerWeights> m_layers; // empty entries when streamed and not replaced
    ActivationHook* m_hook = nullptr;
};

} // namespace ol
