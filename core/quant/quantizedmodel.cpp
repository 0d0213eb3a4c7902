#include "quant/quantizedmodel.h"

#include "errors.h"

#include <ATen/ATen.h>

namespace ol {

QuantizedModel::QuantizedModel(std::shared_ptr<const Checkpoint> checkpoint, c10::Device device,
                               std::vector<QuantizedLayer> layers, c10::ScalarType dtype)
    : m_model(std::move(checkpoint), device, dtype, LlamaModel::Residency::Streamed), m_layers(std::move(layers)) {
    if (static_cast<int>(m_layers.size()) != m_model.numLayers())
        throw UsageError("a quantized model needs all " + std::to_string(m_model.numLayers()) + " layers, got " +
                         std::to_string(m_layers.size()));
    for (std::size_t i = 0; i < m_layers.size(); ++i) {
        auto& l = m_layers[i];
        if (l.index != static_cast<int>(i)) throw UsageError("quantized layers out of order at " + std::to_string(i));
        m_model.setLayer(static_cast<int>(i), l.weights.to(device, dtype));
        m_hook.setLayer(static_cast<int>(i), &l);
    }
}

at::Tensor QuantizedModel::logits(const at::Tensor& tokens) {
    at::NoGradGuard noGrad;
    return m_model.forward(tokens, &m_hook);
}

} // namespace ol
