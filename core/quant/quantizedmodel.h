#pragma once
// A quantized model that evaluates like any CausalLm: the FP model's
// embedding and head, the quantized layers' weights, and the online
// activation work (transforms, fake quantization) applied by a hook.
#include "model/causallm.h"
#include "model/llamamodel.h"
#include "quant/quantizedlayer.h"

#include <memory>
#include <vector>

namespace ol {

class QuantizedModel : public CausalLm {
public:
    QuantizedModel(std::shared_ptr<const Checkpoint> checkpoint, c10::Device device, std::vector<QuantizedLayer> layers,
                   c10::ScalarType dtype = c10::kFloat);

    at::Tensor logits(const at::Tensor& tokens) override;
    c10::Device device() const override { return m_model.device(); }
    std::int64_t vocabSize() const override { return m_model.vocabSize(); }
    const LlamaModel& base() const { return m_model; }
    const std::vector<QuantizedLayer>& layers() const { return m_layers; }

private:
    LlamaModel m_model;
    std::vector<QuantizedLayer> m_layers;
    QuantizedActivationHook m_hook;
};

} // namespace ol
