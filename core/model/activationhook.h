#pragma once
// Hook points of the decoder forward. Observers (calibration statistics) and
// transforms (rotations, fake quantization) plug in here without touching
// the model code: each hook receives the activation and returns the tensor
// the forward continues with (the same one when it only observes).
#include <ATen/core/Tensor.h>
#include <string>

namespace ol {

enum class Site {
    AttnInput,  // normed hidden state, the input of q_proj, k_proj and v_proj  [B, T, H]
    AttnOutput, // attention output, the input of o_proj                        [B, T, heads*headDim]
    MlpInput,   // post-attention normed hidden state, input of gate/up_proj   [B, T, H]
    DownInput,  // silu(gate) * up, the input of down_proj                      [B, T, I]
    Query,      // Q after rotary                                               [B, heads, T, headDim]
    Key,        // K after rotary (what the K cache holds)                      [B, kvHeads, T, headDim]
    Value,      // V (what the V cache holds)                                   [B, kvHeads, T, headDim]
};
constexpr int kSiteCount = 7;

// Hugging Face module name of the site's consumer, e.g. "mlp.down_proj";
// for the shared inputs the first consumer ("self_attn.q_proj", "mlp.gate_proj"),
// for Q/K/V "self_attn.q", "self_attn.k", "self_attn.v".
const char* siteModule(Site site);
// Short stable name used in files and flags: "attn_in", "o_in", "mlp_in", "down_in", "q", "k", "v".
const char* siteKey(Site site);
// Inverse of siteKey; throws UsageError naming the text.
Site siteFromKey(const std::string& key);
// Linear inputs are [B, T, C]; Q/K/V are per head.
inline bool isLinearInput(Site s) {
    return s == Site::AttnInput || s == Site::AttnOutput || s == Site::MlpInput || s == Site::DownInput;
}

class ActivationHook {
public:
    virtual ~ActivationHook() = default;
    virtual at::Tensor onActivation(int layer, Site site, const at::Tensor& x) = 0;
};

} // namespace ol
