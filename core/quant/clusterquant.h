#pragma once
// Quantization by channel clusters (RPTQ, algorithms.md §3.4, §3.5): static
// activation quantizers with one scale/zero per cluster, calibrated offline,
// and weights quantized per (output row × input cluster), i.e. groups of
// variable size along Cin.
#include "core/quant/quantizer.h"

#include <vector>

namespace ol {

// A static activation quantizer. bits 0: not set (the layer's dynamic per-token quantizer applies);
// >= 16: the site is not quantized. scale/zero are float32 per channel (equal inside a cluster), shaped to
// broadcast against the activation: [C] for a linear input, [heads, 1, headDim] for Q/K/V.
struct StaticQuant {
    int bits = 0;
    at::Tensor scale, zero;
    bool set() const { return bits > 0; }
};

// The same grid as fakeQuantize (asymmetric, 2^b − 1 steps over [xmin, xmax]) with fixed parameters.
at::Tensor fakeQuantizeStatic(const at::Tensor& x, const StaticQuant& q);

// Parameters of one cluster from its range (any shape, float32 out): scale = clamp((max − min)·clip/(2^b − 1),
// 1e-5, 1e4), zero = round(−min·clip/scale). Unlike the DuQuant quantizer the zero point is not clamped to
// ±1e4 (RPTQ's quantizer does not clamp it either): a one-channel cluster has zero range, and only an
// unclamped zero point puts its value exactly on the grid (code 0).
QuantParams clusterParams(const at::Tensor& max, const at::Tensor& min, int bits, double clip);

// Per-cluster parameters from per-channel ranges (already in cluster layout, last dim C = sum of sizes;
// leading dims, e.g. heads, are independent): the cluster's min of mins and max of maxes, clipped by
// `clip`, expanded back to every channel. Returns a quantizer shaped like min/max.
StaticQuant staticQuantFromRanges(const at::Tensor& min, const at::Tensor& max, const std::vector<std::int64_t>& sizes, int bits,
                                  double clip);

// Weights [Cout, Cin] in groups of `sizes` along Cin (sum = Cin): params [Cout, G].
QuantParams computeGroupedParams(const at::Tensor& w, const QuantSpec& spec, const at::Tensor& sizes);
// [rows, G] → [rows, Cin], each group's column repeated over its channels.
at::Tensor expandGroups(const at::Tensor& perGroup, const at::Tensor& sizes);
// Codes and dequantization with variable groups (per-channel params under the hood, bitwise the same grid).
at::Tensor quantizeGroupedCodes(const at::Tensor& w, const QuantParams& params, const QuantSpec& spec, const at::Tensor& sizes);
at::Tensor dequantizeGrouped(const at::Tensor& codes, const QuantParams& params, const QuantSpec& spec, const at::Tensor& sizes);

} // namespace ol
