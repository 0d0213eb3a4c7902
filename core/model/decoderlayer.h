#pragma once
// One LLaMA/Mistral decoder layer: RMSNorm, rotary, grouped-query causal
// attention, SwiGLU MLP, with hook points before every linear and at Q/K/V.
#include <ATen/core/Tensor.h>

namespace ol {

struct ModelConfig;
struct LayerWeights;
class ActivationHook;
struct LayerCache;

at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);

// h: [B, T, H] hidden state in; returns the hidden state out. With a cache, the tokens sit at positions
// cache->offset.. and attend to the cached keys too; their K and V are appended to the cache.
at::Tensor decoderLayerForward(const LayerWeights& w, const ModelConfig& config, const at::Tensor& h, int layerIndex,
                               ActivationHook* hook = nullptr, LayerCache* cache = nullptr);

} // namespace ol
