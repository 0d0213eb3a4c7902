#include "model/llamamodel.h"

#include "errors.h"
#include "model/checkpoint.h"
#include "model/decoderlayer.h"

#include <ATen/ATen.h>

namespace ol {

LlamaModel::LlamaModel(std::shared_ptr<const Checkpoint> checkpoint, c10::Device device, c10::ScalarType dtype,
                       Residency residency)
    : m_checkpoint(std::move(checkpoint)), m_config(m_checkpoint->config()), m_device(device), m_dtype(dtype),
      m_residency(residency) {
    if (dtype != c10::kFloat && dtype != c10::kBFloat16 && dtype != c10::kHalf && dtype != c10::kDouble)
        throw UsageError("--dtype: unsupported compute dtype (use float32 or bfloat16)");
    m_embed = m_checkpoint->tensor(names::embedTokens).to(device, dtype);
    m_finalNorm = m_checkpoint->tensor(names::finalNorm).to(device, dtype);
    m_lmHead = m_config.tieWordEmbeddings ? m_embed : m_checkpoint->tensor(names::lmHead).to(device, dtype);
    m_layers.resize(m_config.numLayers);
    if (residency == Residency::Resident)
        for (int i = 0; i < numLayers(); ++i)
            m_layers[i] = LayerWeights::load(*m_checkpoint, i, device, dtype);
}

LayerWeights LlamaModel::layer(int index) const {
    if (index < 0 || index >= numLayers())
        throw UsageError("layer " + std::to_string(index) + " out of range (model has " +
                         std::to_string(numLayers()) + ")");
    if (m_layers[index].wq.defined())
        return m_layers[index];
    return LayerWeights::load(*m_checkpoint, index, m_device, m_dtype);
}

void LlamaModel::setLayer(int index, LayerWeights weights) {
    if (index < 0 || index >= numLayers())
        throw UsageError("layer " + std::to_string(index) + " out of range");
    m_layers[index] = weights.to(m_device, m_dtype);
}

at::Tensor LlamaModel::embed(const at::Tensor& tokens) const {
    auto ids = tokens.to(m_device, at::kLong);
    const auto [lo, hi] = at::aminmax(ids);
    if (ids.numel() > 0 && (lo.item<std::int64_t>() < 0 || hi.item<std::int64_t>() >= m_config.vocabSize))
        throw UsageError("token id outside the model's vocabulary of " + std::to_string(m_config.vocabSize));
    return at::embedding(m_embed, ids);
}

at::Tensor LlamaModel::layerForward(int index, const at::Tensor& hidden, ActivationHook* hook) const {
    return decoderLayerForward(layer(index), m_config, hidden, index, hook);
}

at::Tensor LlamaModel::head(const at::Tensor& hidden) const {
    return at::linear(rmsNorm(hidden, m_finalNorm, m_config.rmsNormEps), m_lmHead).to(at::kFloat);
}

at::Tensor LlamaModel::forward(const at::Tensor& tokens, ActivationHook* hook) const {
    at::NoGradGuard noGrad;
    auto h = embed(tokens);
    for (int i = 0; i < numLayers(); ++i)
        h = layerForward(i, h, hook);
    return head(h);
}

} // namespace ol
