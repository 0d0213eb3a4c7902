#pragma once
// A quantized layer as flat named tensors plus a JSON description, the one
// representation behind both the per-layer checkpoint files (resume) and the
// exported safetensors. Names are relative to the layer:
//   input_layernorm.weight, post_attention_layernorm.weight
//   <module>.weight                   float weight (only when not quantized)
//   <module>.qweight                  packed integer codes, uint8 [Cout, bytes per row]
//   <module>.scales, <module>.zeros   float32 [Cout, groups]
//   <module>.lwc_up, <module>.lwc_low learned clipping factors (LWC runs)
//   input_transforms.<site>.step.<k>.vector        step k's vector: scale divisor, permutation (int64),
//                                                  Householder ω (its kind and sizes in the JSON "steps")
//   input_transforms.<site>.step.<k>.main / .tail  step k's float64 block rotation
//   input_transforms.<site>.cluster_sizes          channel clusters of the transformed input, int64 [G]
//   input_transforms.<site>.static_scale / _zero   the site's static activation quantizer (bits in the JSON)
//   <module>.group_sizes              variable weight groups along Cin (the clusters), int64 [G]
//   static_quant.<q|k|v>.scale / .zero static quantizers of Q, K, V (bits in the JSON)
//   query_key_order                   RPTQ Q/K order inside each kv head, int64 [kvHeads, headDim]
//   smoothing.<pair>                  smoothing scales (already folded; for reference)
#include "core/quant/quantizedlayer.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace ol {

struct ModelConfig;

// Version of a layer's JSON description. 1: fixed fields per input (divisor, reorder, rotations and
// permutations, householder; static quantizers of every site under static_quant); 2: an ordered list of
// steps per input. Both load.
constexpr int kLayerFormatVersion = 2;

struct SerializedLayer {
    std::map<std::string, at::Tensor> tensors;
    nlohmann::json meta;
};

SerializedLayer serializeLayer(const QuantizedLayer& layer);
// Rebuilds the layer (weights dequantized exactly as the run produced them) on `device`.
// Throws FormatError naming `origin` and the missing/mismatched tensor.
QuantizedLayer deserializeLayer(const SerializedLayer& s, const ModelConfig& config, c10::Device device,
                                const std::string& origin);

nlohmann::json specToJson(const QuantSpec& s);
QuantSpec specFromJson(const nlohmann::json& j);

} // namespace ol
