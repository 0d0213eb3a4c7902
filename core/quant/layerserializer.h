#pragma once
// A quantized layer as flat named tensors plus a JSON description, the one
// representation behind both the per-layer checkpoint files (resume) and the
// exported safetensors. Names are relative to the layer:
//   input_layernorm.weight, post_attention_layernorm.weight
//   <module>.weight                   float weight (only when not quantized)
//   <module>.qweight                  packed integer codes, uint8 [Cout, bytes per row]
//   <module>.scales, <module>.zeros   float32 [Cout, groups]
//   <module>.lwc_up, <module>.lwc_low learned clipping factors (LWC runs)
//   input_transforms.<site>.divisor   online smoothing divisor [C]
//   input_transforms.<site>.householder   global Householder vector ω [C] (RUQuant)
//   input_transforms.<site>.rotation.<k>.main / .tail   float64 block rotations
//   input_transforms.<site>.permutation.<k>             int64 [C]
//   input_transforms.<site>.reorder   RPTQ channel order, int64 [C], order[new] = old
//   input_transforms.<site>.cluster_sizes   RPTQ channel clusters, int64 [G]
//   <module>.group_sizes              variable weight groups along Cin (RPTQ clusters), int64 [G]
//   static_quant.<site>.scale / .zero static activation quantizer (RPTQ; bits in the JSON)
//   query_key_order                   RPTQ Q/K order inside each kv head, int64 [kvHeads, headDim]
//   smoothing.<pair>                  smoothing scales (already folded; for reference)
#include "quant/quantizedlayer.h"

#include <nlohmann/json.hpp>

#include <map>
#include <string>

namespace ol {

struct ModelConfig;

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
