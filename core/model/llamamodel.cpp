#include "core/model/llamamodel.h"

#include "core/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/decoderlayer.h"
#include "core/model/kvcache.h"

#include <ATen/ATen.h>

namespace ol {

std::int64_t LlamaModel::residentBytesOf(const Checkpoint& ck) {
    std::int64_t n = 0;
    for (const auto& t : ck.tensors()) {
        std::int64_t e = 1;
        for (auto d : t.shape) e *= d;
        n += e * 4;
    }
    return n;
}

LlamaModel::LlamaModel(std::shared_ptr<const Checkpoint> checkpoint, c10::Device device, c10::ScalarType dtype,
                       Residency residency)
    : m_checkpoint(std::move(checkpoint)), m_config(m_checkpoint->config()), m_device(device), m_dtype(dtype),
      m_residency(residency) {
    if (dtype != c10::kFloat && dtype != c10::kBFloat16 && dtype != c10::kHalf && dtype != c10::kDouble)
        throw UsageError("`dtype`: unsupported compute dtype (use float32 or bfloat16)");
    if (m_residency == Residency::Auto)
        m_residency = residentBytesOf(*m_checkpoint) <= kResidentBytes ? Residency::Resident : Residency::Streamed;
    m_finalNorm = m_checkpoint->materialize(names::finalNorm, device, dtype);
    m_layers.resize(m_config.numLayers);
    if (m_residency == Residency::Resident) {
        m_embed = m_checkpoint->materialize(names::embedTokens, device, dtype);
        m_lmHead = m_config.tieWordEmbeddings ? m_embed : m_checkpoint->materialize(names::lmHead, device, dtype);
        for (int i = 0; i < numLayers(); ++i) m_layers[i] = LayerWeights::load(*m_checkpoint, i, device, dtype);
    }
}

LayerWeights LlamaModel::layer(int index) const {
    if (index < 0 || index >= numLayers())
        throw UsageError("layer " + std::to_string(index) + " out of range (model has " + std::to_string(numLayers()) + ")");
    if (m_layers[index].wq.defined()) return m_layers[index];
    return LayerWeights::load(*m_checkpoint, index, m_device, m_dtype);
}

void LlamaModel::setLayer(int index, const LayerWeights& weights) {
    if (index < 0 || index >= numLayers()) throw UsageError("layer " + std::to_string(index) + " out of range");
    m_layers[index] = weights.to(m_device, m_dtype);
}

at::Tensor LlamaModel::embed(const at::Tensor& tokens) const {
    auto ids = tokens.to(m_device, at::kLong);
    const auto [lo, hi] = at::aminmax(ids);
    if (ids.numel() > 0 && (lo.item<std::int64_t>() < 0 || hi.item<std::int64_t>() >= m_config.vocabSize))
        throw UsageError("token id outside the model's vocabulary of " + std::to_string(m_config.vocabSize));
    if (m_embed.defined()) return at::embedding(m_embed, ids);
    // Only the rows of these tokens are read from the file (in its dtype), then converted.
    auto sizes = ids.sizes().vec();
    sizes.push_back(m_config.hiddenSize);
    auto rows = m_checkpoint->view(names::embedTokens).index_select(0, ids.reshape({-1}).cpu());
    m_checkpoint->release(names::embedTokens);
    return rows.to(m_device, m_dtype).view(sizes);
}

at::Tensor LlamaModel::layerForward(int index, const at::Tensor& hidden, ActivationHook* hook) const {
    return decoderLayerForward(layer(index), m_config, hidden, index, hook);
}

const char* LlamaModel::classifierName() const { return m_config.tieWordEmbeddings ? names::embedTokens : names::lmHead; }

at::Tensor LlamaModel::classifierRows(std::int64_t begin, std::int64_t count) const {
    if (m_lmHead.defined()) return m_lmHead.narrow(0, begin, count);
    return m_checkpoint->view(classifierName()).narrow(0, begin, count).to(m_device, m_dtype, false, true);
}

at::Tensor LlamaModel::head(const at::Tensor& hidden) const {
    const auto normed = rmsNorm(hidden, m_finalNorm, m_config.rmsNormEps);
    auto out = at::linear(normed, classifierRows(0, m_config.vocabSize)).to(at::kFloat);
    if (!m_lmHead.defined()) m_checkpoint->release(classifierName());
    return out;
}

at::Tensor LlamaModel::nllFromHidden(const at::Tensor& hidden, const at::Tensor& tokens) const {
    const auto ids = tokens.to(m_device, at::kLong);
    const std::int64_t B = hidden.size(0), T = hidden.size(1), V = m_config.vocabSize;
    const auto targets = ids.narrow(1, 1, T - 1);
    const std::int64_t slice = std::min(V, std::max<std::int64_t>(256, m_logitSlice / std::max<std::int64_t>(1, B * T)));
    if (slice >= V) return nllOfLogits(head(hidden).narrow(1, 0, T - 1), targets); // one slice: the plain computation
    // The log-sum-exp over the vocabulary accumulated slice by slice (running maximum and rescaled
    // sum), and each position's target logit picked from the slice that holds it.
    const auto normed = rmsNorm(hidden, m_finalNorm, m_config.rmsNormEps);
    at::Tensor runMax, runSum, target = at::zeros({B, T - 1}, hidden.options().dtype(at::kFloat));
    for (std::int64_t v0 = 0; v0 < V; v0 += slice) {
        const std::int64_t n = std::min(slice, V - v0);
        const auto logits = at::linear(normed, classifierRows(v0, n)).to(at::kFloat).narrow(1, 0, T - 1);
        const auto sliceMax = std::get<0>(logits.max(-1));
        if (!runMax.defined()) {
            runMax = sliceMax;
            runSum = (logits - runMax.unsqueeze(-1)).exp().sum(-1);
        } else {
            const auto newMax = at::maximum(runMax, sliceMax);
            runSum = runSum * (runMax - newMax).exp() + (logits - newMax.unsqueeze(-1)).exp().sum(-1);
            runMax = newMax;
        }
        const auto inSlice = (targets >= v0).logical_and(targets < v0 + n);
        const auto local = (targets - v0).clamp(0, n - 1).unsqueeze(-1);
        target = at::where(inSlice, logits.gather(-1, local).squeeze(-1), target);
    }
    if (!m_lmHead.defined()) m_checkpoint->release(classifierName());
    return runMax + runSum.log() - target;
}

at::Tensor LlamaModel::hiddenStates(const at::Tensor& tokens, ActivationHook* hook) const {
    at::NoGradGuard noGrad;
    auto h = embed(tokens);
    for (int i = 0; i < numLayers(); ++i) h = layerForward(i, h, hook);
    return h;
}

at::Tensor LlamaModel::forward(const at::Tensor& tokens, ActivationHook* hook) const {
    at::NoGradGuard noGrad;
    return head(hiddenStates(tokens, hook));
}

at::Tensor LlamaModel::tokenNll(const at::Tensor& tokens) {
    at::NoGradGuard noGrad;
    return nllFromHidden(hiddenStates(tokens, m_hook), tokens);
}

} // namespace ol

namespace ol {

at::Tensor LlamaModel::logitsCached(const at::Tensor& tokens, KvCache& cache, const at::Tensor& valid, std::int64_t keepLast) {
    at::NoGradGuard noGrad;
    auto h = runCachedLayers(numLayers(), embed(tokens), cache, valid, [&](int i, const at::Tensor& x, LayerCache* lc) {
        return decoderLayerForward(layer(i), m_config, x, i, m_hook, lc);
    });
    return head(keepLast > 0 ? h.narrow(1, h.size(1) - keepLast, keepLast) : h);
}

} // namespace ol
