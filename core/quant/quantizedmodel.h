#pragma once
// A quantized model that evaluates like any CausalLm: the FP model's
// embedding and head, the quantized layers' weights, and the online
// activation work (transforms, fake quantization) applied by a hook. Its
// layers are either held in memory or loaded one at a time when the forward
// reaches them (from a run store or an export), so evaluating a quantized 7B
// model holds one layer, not 32.
#include "core/model/causallm.h"
#include "core/model/llamamodel.h"
#include "core/quant/quantizedlayer.h"

#include <functional>
#include <memory>
#include <vector>

namespace ol {

struct LayerCache;

class QuantizedModel : public CausalLm {
public:
    QuantizedModel(std::shared_ptr<const Checkpoint> checkpoint, c10::Device device, std::vector<QuantizedLayer> layers,
                   c10::ScalarType dtype = c10::kFloat);
    // Streams: each forward loads each layer through `loader` and drops it after.
    QuantizedModel(std::shared_ptr<const Checkpoint> checkpoint, c10::Device device, QuantizedLayerLoader loader,
                   c10::ScalarType dtype = c10::kFloat);

    at::Tensor logits(const at::Tensor& tokens) override;
    at::Tensor tokenNll(const at::Tensor& tokens) override;
    at::Tensor logitsCached(const at::Tensor& tokens, KvCache& cache, const at::Tensor& valid = {},
                            std::int64_t keepLast = 0) override;
    c10::Device device() const override { return m_model.device(); }
    std::int64_t vocabSize() const override { return m_model.vocabSize(); }
    const LlamaModel& base() const { return m_model; }
    // Empty when streamed.
    const std::vector<QuantizedLayer>& layers() const { return m_layers; }

private:
    at::Tensor hiddenStates(const at::Tensor& tokens);
    // Layer i's forward with its online activation work (loaded first when streamed).
    at::Tensor layerForward(int i, const at::Tensor& h, LayerCache* cache);

    LlamaModel m_model;
    std::vector<QuantizedLayer> m_layers;
    QuantizedLayerLoader m_loader;
};

} // namespace ol
