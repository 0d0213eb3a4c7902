#include "core/quant/quantizedmodel.h"

#include "core/errors.h"
#include "core/model/decoderlayer.h"
#include "core/model/kvcache.h"

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
        l.weights = l.weights.to(device, dtype);
    }
}

QuantizedModel::QuantizedModel(std::shared_ptr<const Checkpoint> checkpoint, c10::Device device, QuantizedLayerLoader loader,
                               c10::ScalarType dtype)
    : m_model(std::move(checkpoint), device, dtype, LlamaModel::Residency::Streamed), m_loader(std::move(loader)) {
    if (!m_loader) throw UsageError("a streamed quantized model needs a layer loader");
}

at::Tensor QuantizedModel::layerForward(int i, const at::Tensor& h, LayerCache* cache) {
    QuantizedLayer loaded;
    const QuantizedLayer* layer = &loaded;
    if (m_loader) {
        loaded = m_loader(i);
        if (loaded.index != i)
            throw FormatError("quantized layer " + std::to_string(i) + " came back as layer " + std::to_string(loaded.index));
        loaded.weights = loaded.weights.to(m_model.device(), m_model.dtype());
    } else {
        layer = &m_layers[i];
    }
    QuantizedActivationHook hook;
    hook.setLayer(i, layer);
    return decoderLayerForward(layer->weights, m_model.config(), h, i, &hook, cache);
}

at::Tensor QuantizedModel::hiddenStates(const at::Tensor& tokens) {
    at::NoGradGuard noGrad;
    auto h = m_model.embed(tokens);
    for (int i = 0; i < m_model.numLayers(); ++i) h = layerForward(i, h, nullptr);
    return h;
}

at::Tensor QuantizedModel::logitsCached(const at::Tensor& tokens, KvCache& cache, const at::Tensor& valid,
                                        std::int64_t keepLast) {
    at::NoGradGuard noGrad;
    auto h = runCachedLayers(m_model.numLayers(), m_model.embed(tokens), cache, valid,
                             [&](int i, const at::Tensor& x, LayerCache* lc) { return layerForward(i, x, lc); });
    return m_model.head(keepLast > 0 ? h.narrow(1, h.size(1) - keepLast, keepLast) : h);
}

at::Tensor QuantizedModel::logits(const at::Tensor& tokens) {
    at::NoGradGuard noGrad;
    return m_model.head(hiddenStates(tokens));
}

at::Tensor QuantizedModel::tokenNll(const at::Tensor& tokens) {
    at::NoGradGuard noGrad;
    return m_model.nllFromHidden(hiddenStates(tokens), tokens);
}

} // namespace ol
