#pragma once
// SmoothQuant's smoothing step as DuQuant runs it (algorithms.md §1.6): per
// pair a scale s = clamp(act^α / max|W_key col|^(1−α), 1e-5), truncated to
// ≥ 1e-2, folded into the producer (÷s) and the consumers' columns (×s).
#include <ATen/core/Tensor.h>
#include <map>
#include <string>

namespace ol {

struct LayerWeights;
struct ModelConfig;

// act_scales (max |x| per input channel over the calibration set) of the four linear inputs of one layer.
struct LayerActScales {
    at::Tensor attnIn, oIn, mlpIn, downIn; // float32 [C]
};

at::Tensor smoothingScales(const at::Tensor& actScales, const at::Tensor& keyWeight, double alpha);

struct SmoothingResult {
    std::map<std::string, at::Tensor> scales; // pair name (qkv, out, fc1, down) → s
    at::Tensor onlineOutDivisor;              // GQA: o_proj input ÷ s online; undefined for MHA (folded into v_proj rows)
};

// Folds the four pairs into `w` (input/post RMSNorm, q/k/v, gate/up, up rows, down, v rows or o online).
SmoothingResult applySmoothing(LayerWeights& w, const ModelConfig& config, const LayerActScales& act, double alpha);

// The pair whose scale divides the input that linear `module` reads ("self_attn.o_proj" → "out").
const char* smoothingPairOf(const std::string& module);
// One linear's weight as applySmoothing leaves it: columns × the scale of the input it reads, rows ÷ the
// scale of the input it produces (up_proj rows for down_proj's input; v_proj rows for o_proj's unless that
// is divided online). `w` may hold only some rows of the weight: `rowIndex` says which (undefined: all), so
// the preview folds a sample of rows with this same code.
at::Tensor smoothedWeight(const std::string& module, const at::Tensor& w, const std::map<std::string, at::Tensor>& scales,
                          bool outDividedOnline, const at::Tensor& rowIndex = {});

} // namespace ol
