#pragma once
// Online aggregation of one site's activations over calibration windows, in
// float64, never holding more than one window of activations.
#include "core/calib/sitestatistics.h"

namespace ol {

struct AccumulatorOptions {
    std::int64_t tokenCap = 65536; // per-token maxima kept for at most this many tokens
    std::int64_t tileTokens = 256; // tokens of the first window kept as actual values
    std::int64_t topK = 256;       // largest |x| kept with their positions
    std::int64_t histogramBins = 480;
    double histogramLog10Min = -8, histogramLog10Max = 8; // 1/30 decade per bin
};

class SiteAccumulator {
public:
    SiteAccumulator(int layer, Site site, AccumulatorOptions options = {});
    // x: [B, T, C] for linear inputs, [B, heads, T, headDim] for Q/K/V (folded
    // to [B, T, heads*headDim]); `firstWindow` is the index of x[0] among all windows.
    void add(const at::Tensor& x, std::int64_t firstWindow);
    SiteStatistics finish() const;
    std::int64_t windowsSeen() const { return m_windows; }

private:
    void addWindow(const at::Tensor& w, std::int64_t window); // [T, C] float64

    int m_layer;
    Site m_site;
    AccumulatorOptions m_o;
    std::int64_t m_windows = 0, m_tokens = 0, m_channels = 0, m_below = 0;
    at::Tensor m_absmax, m_min, m_max, m_s1, m_s2, m_s3, m_s4, m_sAbs, m_shift, m_hist;
    std::vector<at::Tensor> m_tokenAbs, m_tokenArg;
    std::int64_t m_tokensKept = 0;
    std::vector<TopValue> m_top;
    at::Tensor m_tile;
};

} // namespace ol
