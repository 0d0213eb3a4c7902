#include "core/quant/previewstats.h"

#include <ATen/ATen.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace ol {
namespace {

at::Tensor asFloat(const at::Tensor& x) { return x.to(at::kCPU, at::kFloat).contiguous(); }

} // namespace

PreviewSide describeSample(const at::Tensor& sample) {
    const auto x = asFloat(sample);
    const std::int64_t tokens = x.size(0), channels = x.size(1);
    const float* data = x.data_ptr<float>();
    PreviewSide s;
    s.channelAbsmax.assign(static_cast<std::size_t>(channels), 0.0F);
    s.tokenMin.resize(static_cast<std::size_t>(tokens));
    s.tokenMax.resize(static_cast<std::size_t>(tokens));
    // Pass 1: ranges, the mean, the smallest nonzero magnitude.
    double sum = 0;
    float smallest = std::numeric_limits<float>::infinity();
    for (std::int64_t t = 0; t < tokens; ++t) {
        const float* row = data + t * channels;
        float lo = row[0], hi = row[0], rowSmallest = std::numeric_limits<float>::infinity();
        double rowSum = 0;
        for (std::int64_t c = 0; c < channels; ++c) {
            const float v = row[c], a = std::abs(v);
            lo = std::min(lo, v);
            hi = std::max(hi, v);
            s.channelAbsmax[c] = std::max(s.channelAbsmax[c], a);
            rowSum += v;
            if (a > 0) rowSmallest = std::min(rowSmallest, a);
        }
        s.tokenMin[t] = lo;
        s.tokenMax[t] = hi;
        sum += rowSum;
        smallest = std::min(smallest, rowSmallest);
    }
    s.absmax = *std::max_element(s.channelAbsmax.begin(), s.channelAbsmax.end());
    s.smallestNonzero = std::isfinite(smallest) ? smallest : 0.0;
    auto sorted = s.channelAbsmax;
    const auto mid = sorted.begin() + (std::ptrdiff_t(sorted.size()) - 1) / 2; // the lower median, as torch.median
    std::nth_element(sorted.begin(), mid, sorted.end());
    s.medianChannelAbsmax = *mid;
    // Pass 2: central moments in float64.
    const double n = double(x.numel()), mean = sum / n;
    double m2 = 0, m4 = 0;
    for (std::int64_t i = 0; i < x.numel(); ++i) {
        const double d = double(data[i]) - mean, d2 = d * d;
        m2 += d2;
        m4 += d2 * d2;
    }
    m2 /= n;
    m4 /= n;
    s.kurtosis = m2 > 0 ? m4 / (m2 * m2) : 0.0;
    // The 3D view's surface: max-pooled |x|, so that a single outlier keeps its full height.
    s.surfaceTokens = std::min(tokens, PreviewSide::kSurfaceTokens);
    s.surfaceChannels = std::min(channels, PreviewSide::kSurfaceChannels);
    const auto pooled = std::get<0>(at::adaptive_max_pool2d(x.abs().unsqueeze(0), {s.surfaceTokens, s.surfaceChannels}));
    const auto p = pooled.contiguous();
    s.surface.assign(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    return s;
}

std::vector<double> sharedHistogramEdges(const PreviewSide& a, const PreviewSide& b) {
    const double top = std::max(a.absmax, b.absmax);
    const double hi = std::ceil(std::log10(std::max(top, 1e-30)) * 4.0) / 4.0;
    auto nonzero = [](const PreviewSide& s) { return s.smallestNonzero > 0 ? s.smallestNonzero : 1e-30; };
    const double smallest = std::min(nonzero(a), nonzero(b));
    const double lo = std::max(std::floor(std::log10(smallest) * 4.0) / 4.0, hi - 8.0);
    const double end = hi == lo ? lo + 1 : hi;
    std::vector<double> edges(kPreviewHistogramBins + 1);
    for (int i = 0; i <= kPreviewHistogramBins; ++i) edges[i] = lo + (end - lo) * i / kPreviewHistogramBins;
    return edges;
}

void fillHistogram(PreviewSide& side, const at::Tensor& sample, const std::vector<double>& edges) {
    const auto x = asFloat(sample);
    const int bins = int(edges.size()) - 1;
    // Bin i holds edges[i] <= log10|x| < edges[i+1]: compare |x| against 10^edge instead of taking logs.
    std::vector<float> inner(static_cast<std::size_t>(bins - 1));
    for (int i = 1; i < bins; ++i) inner[i - 1] = static_cast<float>(std::pow(10.0, edges[i]));
    std::vector<std::int64_t> counts(static_cast<std::size_t>(bins), 0);
    const float* data = x.data_ptr<float>();
    const double lo = edges.front(), perBin = bins / (edges.back() - lo);
    for (std::int64_t i = 0; i < x.numel(); ++i) {
        const float a = std::abs(data[i]);
        // A guess from the float's bits (log2 to within 0.09), then the exact comparisons settle it.
        std::uint32_t bits = 0;
        std::memcpy(&bits, &a, sizeof bits);
        const double log10Guess = (double(bits) * (1.0 / (1 << 23)) - 127.0) * 0.30102999566398120;
        int bin = std::clamp(static_cast<int>((log10Guess - lo) * perBin), 0, bins - 1);
        while (bin > 0 && a < inner[bin - 1]) --bin;
        while (bin < bins - 1 && a >= inner[bin]) ++bin;
        ++counts[bin];
    }
    side.histogramEdges = edges;
    side.histogramCounts.resize(static_cast<std::size_t>(bins));
    for (int i = 0; i < bins; ++i) side.histogramCounts[i] = double(counts[i]) / double(x.numel());
}

} // namespace ol
