#pragma once
// The live preview of one method on one linear input: the site's cached
// activation sample and its consumers' weights, before and after the method's
// transform (smoothing fold, rotations/permutations, Householder), with the
// quantization error of both at the chosen bits. Plain vectors out, so views
// draw them without touching tensors. Runs in well under a second for a
// 4096-channel site on 256 tokens (bench/bench_preview).
#include "core/model/activationhook.h"
#include "core/quant/quantizer.h"
#include "core/quant/quantsettings.h"
#include "core/quant/smoothing.h"

#include <ATen/core/Tensor.h>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace ol {

class PreviewCache;
class Progress;
class QuantMethod;
struct ModelConfig;
struct LayerWeights;

struct PreviewSide {
    std::vector<float> channelAbsmax;      // [C] max |x| per channel over the sample
    std::vector<float> tokenMin, tokenMax; // [T] per-token range
    std::vector<double> histogramEdges;    // log10|x| bin edges [bins+1] (shared by before and after)
    std::vector<double> histogramCounts;   // [bins] fraction of values per bin
    double absmax = 0, medianChannelAbsmax = 0, kurtosis = 0;
    double smallestNonzero = 0; // min |x| over the nonzero values (the histogram's lower end)
    // |x| over tokens × channels for the 3D view, max-pooled to at most kSurfaceTokens × kSurfaceChannels cells
    // (row-major, a row per token cell) so that a single outlier still shows at its full height.
    std::vector<float> surface;
    std::int64_t surfaceTokens = 0, surfaceChannels = 0;
    static constexpr std::int64_t kSurfaceTokens = 64, kSurfaceChannels = 256;
    QuantError activation; // per-token activation quantization at the chosen abits (lac applied)
    QuantError weight;     // consumers' weights at wbits (pooled over the sampled rows)
    // What matters in the end: the linear outputs X·Wᵀ (FP) against Q(X·M)·Q(W·M)ᵀ, over the sampled rows.
    QuantError output;
    double ratio() const { return medianChannelAbsmax > 0 ? absmax / medianChannelAbsmax : 0; }
};

struct LayerPreview {
    int layer = 0;
    Site site = Site::DownInput;
    std::string method;
    nlohmann::json parameters;
    std::string settingsLabel; // "W4A4KV4"
    std::int64_t tokens = 0, channels = 0;
    std::int64_t weightRows = 0, weightRowsTotal = 0; // rows in the weight error (sampled evenly when many)
    PreviewSide before, after;
    std::string transform; // "smoothing + 2 rotations (block 128) + 1 zigzag"
    double seconds = 0;
    bool firstStage = false; // only what prepare() places (smoothing, reorders): the method's search follows
};

struct PreviewInput {
    int layer = 0;
    Site site = Site::DownInput; // a linear input
    at::Tensor sample;           // [T, C] FP activation of the site (the session's tile)
    const ModelConfig* config = nullptr;
    const LayerWeights* weights = nullptr; // the FP layer
    LayerActScales actScales;              // calibration absmax of the layer's four inputs (for smoothing)
    QuantSettings settings;
    std::uint64_t seed = 2;
    std::int64_t maxWeightRows = 256; // weight error on at most this many rows per consumer
    std::int64_t maxOutputRows = 256; // output error on at most this many of those rows (pooled)
    // Optional, from previewProbe(*weights) (callers that preview one layer repeatedly cache it).
    const LayerWeights* probe = nullptr;
    // false: run prepare() on the whole layer (slow on large layers; the tests compare both paths).
    bool useProbe = true;
    // true: the first stage of a staged preview — prepare()'s part (smoothing, GQA divisor, reorders) without
    // the method's per-site search (greedy rotations, Householder), which can take seconds on a wide input.
    bool firstStage = false;
    // Optional: what a parameter change does not touch (the "before" side, the prepared layer of unchanged
    // prepare parameters, greedy searches of an unchanged input) is taken from here and kept here. One cache
    // per layer of one model: the caller keeps it with the layer's weights and sample.
    PreviewCache* cache = nullptr;
};

// The half of a preview that no method touches: the sample's "before" statistics (histogram excepted:
// its edges depend on the after side), its quantization, the sampled consumer rows, their quantization
// and the FP outputs. Depends on the layer, site, sample, settings and row limits only.
struct PreviewBaseline {
    at::Tensor sample;                // float32 [T, C]
    at::Tensor quantized;             // the sample through the activation quantizer, no method
    PreviewSide side;                 // "before", errors filled, histogram empty
    std::vector<at::Tensor> rowIndex; // per consumer: the weight rows sampled
    at::Tensor fpRows, quantizedRows; // the sampled rows of every consumer, float32, and quantized without a method
    at::Tensor outputRows, fpOutput;  // rows of fpRows in the output error, and sample · those rowsᵀ
    std::int64_t weightRowsTotal = 0;
};
PreviewBaseline computePreviewBaseline(const PreviewInput& input);

// Every linear replaced by its column absmax [1, Cin]: the smoothing scales depend only on these and the
// activation scales, so prepare() on the probe gives them exactly without folding the whole layer.
LayerWeights previewProbe(const LayerWeights& fp);

// Throws UsageError when the site is not a linear input or the method rejects the settings;
// Cancelled when `progress` is cancelled (a newer preview was requested).
LayerPreview computeLayerPreview(const QuantMethod& method, const PreviewInput& input, Progress* progress = nullptr);

} // namespace ol
