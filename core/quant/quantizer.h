#pragma once
// The uniform affine fake quantizer of DuQuant/RUQuant (docs algorithms.md
// §1.4): dynamic min/max per row of the last dim (per token for activations,
// per output channel for weights), optional groups of the last dim, static
// clipping (swc/lac) or learnable clipping (LWC, §1.10), straight-through
// rounding. The float32 arithmetic follows the reference op by op, so results
// equal a plain PyTorch implementation bit for bit.
#include <ATen/ATen.h>
#include <cstdint>

namespace ol {

struct QuantSpec {
    int bits = 16;              // >= 16 means "not quantized": fakeQuantize returns x unchanged
    bool symmetric = false;     // scale = max(|xmax|,|xmin|)/(2^(b-1)-1), zp = 2^(b-1)-1
    double clip = 1.0;          // static clipping ratio (swc for weights, lac for activations); 1 = none
    std::int64_t groupSize = 0; // 0: one group per row; else groups of the last dim
    bool enabled() const { return bits < 16; }
};

// Throws UsageError naming `what` (e.g. "--wbits") unless bits in [1,16]
// (symmetric: [2,16]), clip in (0,1] and groupSize >= 0.
void validate(const QuantSpec& spec, const char* what);

// float32, shape [rows, groups] where rows = numel / lastDim.
struct QuantParams {
    at::Tensor scale, zero;
};

// Learnable clipping factors, shape [rows, 1] or [rows, groups]:
// xmax *= sigmoid(up), xmin *= sigmoid(low). Ignored when spec.clip != 1.
struct LwcFactors {
    at::Tensor up, low;
    bool defined() const { return up.defined(); }
};

QuantParams computeQuantParams(const at::Tensor& x, const QuantSpec& spec, const LwcFactors& lwc = {});

// q = clamp(round_ste(x/scale) + zp, 0, 2^b-1); x^ = (q - zp)*scale, computed
// in float32 and returned in x's dtype. Gradients reach x (and the LWC
// factors) through the straight-through rounding.
at::Tensor fakeQuantize(const at::Tensor& x, const QuantSpec& spec, const LwcFactors& lwc = {});

// Integer codes in [0, 2^bits-1] (bits <= 8) as uint8 with x's shape (x 2-D
// [rows, cols]); dequantize(quantizeCodes(x, p), p) == fakeQuantize(x) bitwise.
at::Tensor quantizeCodes(const at::Tensor& x, const QuantParams& params, const QuantSpec& spec);
at::Tensor dequantize(const at::Tensor& codes, const QuantParams& params, const QuantSpec& spec);

// Report measures, in float64: mse, SQNR in dB (10*log10(sum x^2 / sum (x-xq)^2),
// +inf when equal) and the largest absolute difference.
struct QuantError {
    double mse = 0, sqnrDb = 0, maxAbs = 0;
};
QuantError quantError(const at::Tensor& reference, const at::Tensor& quantized);

} // namespace ol
