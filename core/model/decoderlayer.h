#pragma once
// One LLaMA/Mistral decoder layer: RMSNorm, rotary, grouped-query causal
// attention, SwiGLU MLP, with hook points before every linear and at Q/K/V.
#include <ATen/core/Tensor.h>

namespace ol {

struct ModelConfig;
struct LayerWeights;
class ActivationHook;

at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);

// h: [B, T, H] hidden state in; returns the hidden state out.
at::Tensor decoderLayerForward(const LayerWeights& w, const ModelConfig& config, const at::Tensor& h, int layerIndex,
                               ActivationHook* hook = nullptr);

} // namespace ol
