#pragma once
// Statistics of one activation site (a linear input, or Q/K/V) of one decoder
// layer over all calibration tokens. A value type: views and the session
// file read it, the accumulator produces it. Tensors are CPU.
#include "core/model/activationhook.h"

#include <ATen/core/Tensor.h>
#include <cstdint>
#include <string>
#include <vector>

namespace ol {

struct TopValue {
    float value = 0; // signed
    std::int64_t window = 0, token = 0, channel = 0;
};

struct SiteStatistics {
    int layer = 0;
    Site site = Site::AttnInput;
    std::int64_t channels = 0;
    std::int64_t tokens = 0; // tokens observed (windows * seqlen)

    // Per channel [C], float64.
    at::Tensor absmax, min, max, mean, meanAbs, kurtosis;
    at::Tensor actScales; // the reference's act_scales: running max |x| (== absmax)
    at::Tensor actShifts; // the reference's act_shifts: EMA (0.99/0.01 per window) of (max+min)/2

    // Per token (the first `tokenCap` tokens in window order): absmax [N] float32, its channel [N] int64.
    at::Tensor tokenAbsmax, tokenArgmax;

    double tensorKurtosis = 0; // of all values pooled
    double medianAbs = 0;      // median |x|, interpolated from the fine histogram
    double meanAbsAll = 0;

    std::vector<TopValue> top; // largest |x| first

    // Histogram of log10|x|: edges [bins+1] (log10 units), counts [bins] int64;
    // zerosAndTiny counts |x| below the first edge.
    at::Tensor histogramEdges, histogramCounts;
    std::int64_t belowHistogram = 0;

    // Actual values of the first window's first tokens, [tileTokens, C] float32.
    at::Tensor tile;

    // Hugging Face name of the site's first consumer: "model.layers.3.mlp.down_proj".
    std::string moduleName() const;
    // Every consumer of this input: q/k/v_proj for attn_in, gate/up_proj for mlp_in.
    std::vector<std::string> consumers() const;
};

} // namespace ol
