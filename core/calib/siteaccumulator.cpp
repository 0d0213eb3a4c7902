#include "core/calib/siteaccumulator.h"

#include "core/errors.h"

#include <ATen/ATen.h>
#include <algorithm>
#include <cmath>

namespace ol {

SiteAccumulator::SiteAccumulator(int layer, Site site, AccumulatorOptions options) : m_layer(layer), m_site(site), m_o(options) {}

void SiteAccumulator::add(const at::Tensor& x, std::int64_t firstWindow) {
    at::NoGradGuard noGrad;
    at::Tensor v = x;
    if (!isLinearInput(m_site)) // [B, heads, T, d] -> [B, T, heads*d]
        v = x.transpose(1, 2).reshape({x.size(0), x.size(2), x.size(1) * x.size(3)});
    if (v.dim() != 3) throw UsageError("activation statistics expect [B, T, C] at " + std::string(siteKey(m_site)));
    for (std::int64_t b = 0; b < v.size(0); ++b) addWindow(v[b].to(at::kDouble), firstWindow + b);
}

void SiteAccumulator::addWindow(const at::Tensor& w, std::int64_t window) {
    if (!at::isfinite(w).all().item<bool>())
        throw RuntimeFailure("NaN or Inf in the activations of model.layers." + std::to_string(m_layer) + " " +
                             siteModule(m_site) + " (window " + std::to_string(window) + ")");
    const std::int64_t T = w.size(0), C = w.size(1);
    auto a = w.abs();
    auto chMax = w.amax(0), chMin = w.amin(0), chAbs = a.amax(0);
    auto sq = w * w;
    // The reference updates act_shifts once per calibration sequence: the first
    // sets it, each later one blends 0.99 old + 0.01 new (algorithms.md §1.3).
    auto centre = (chMax + chMin) / 2;
    if (m_windows == 0) {
        m_channels = C;
        m_absmax = chAbs;
        m_min = chMin;
        m_max = chMax;
        m_s1 = w.sum(0);
        m_s2 = sq.sum(0);
        m_s3 = (sq * w).sum(0);
        m_s4 = (sq * sq).sum(0);
        m_sAbs = a.sum(0);
        m_shift = centre;
        m_hist = at::zeros({m_o.histogramBins}, w.options());
        m_tile = w.narrow(0, 0, std::min(T, m_o.tileTokens)).to(at::kFloat).cpu();
    } else {
        if (C != m_channels) throw RuntimeFailure("channel count changed between windows at " + std::string(siteKey(m_site)));
        m_absmax = at::maximum(m_absmax, chAbs);
        m_min = at::minimum(m_min, chMin);
        m_max = at::maximum(m_max, chMax);
        m_s1 += w.sum(0);
        m_s2 += sq.sum(0);
        m_s3 += (sq * w).sum(0);
        m_s4 += (sq * sq).sum(0);
        m_sAbs += a.sum(0);
        m_shift = 0.99 * m_shift + 0.01 * centre;
    }

    if (m_tokensKept < m_o.tokenCap) {
        const std::int64_t keep = std::min(T, m_o.tokenCap - m_tokensKept);
        auto [vals, idx] = a.narrow(0, 0, keep).max(1);
        m_tokenAbs.push_back(vals.to(at::kFloat).cpu());
        m_tokenArg.push_back(idx.cpu());
        m_tokensKept += keep;
    }

    // Top-k |x| of this window merged into the running list.
    const std::int64_t k = std::min<std::int64_t>(m_o.topK, a.numel());
    auto [topAbs, topIdx] = a.flatten().topk(k);
    auto signedVals = w.flatten().index_select(0, topIdx).cpu();
    topIdx = topIdx.cpu();
    auto* iv = topIdx.data_ptr<std::int64_t>();
    auto* sv = signedVals.data_ptr<double>();
    for (std::int64_t i = 0; i < k; ++i) m_top.push_back({static_cast<float>(sv[i]), window, iv[i] / C, iv[i] % C});
    std::sort(m_top.begin(), m_top.end(),
              [](const TopValue& x, const TopValue& y) { return std::abs(x.value) > std::abs(y.value); });
    if (static_cast<std::int64_t>(m_top.size()) > m_o.topK) m_top.resize(m_o.topK);

    const double lo = m_o.histogramLog10Min, hi = m_o.histogramLog10Max;
    m_below += (a < std::pow(10.0, lo)).sum().item<std::int64_t>();
    // Values above the top edge land in the last bin.
    auto logs = at::log10(a.clamp_min(std::pow(10.0, lo))).clamp_max(hi - 1e-9);
    auto inRange = logs.masked_select(a >= std::pow(10.0, lo));
    m_hist += at::histc(inRange, m_o.histogramBins, lo, hi);

    m_tokens += T;
    ++m_windows;
}

SiteStatistics SiteAccumulator::finish() const {
    if (m_windows == 0)
        throw RuntimeFailure("no activations were observed at model.layers." + std::to_string(m_layer) + " " +
                             siteModule(m_site));
    SiteStatistics s;
    s.layer = m_layer;
    s.site = m_site;
    s.channels = m_channels;
    s.tokens = m_tokens;
    const double n = static_cast<double>(m_tokens);
    auto cpu = [](const at::Tensor& t) { return t.cpu(); };
    s.absmax = cpu(m_absmax);
    s.actScales = s.absmax.clone();
    s.min = cpu(m_min);
    s.max = cpu(m_max);
    s.actShifts = cpu(m_shift);
    auto e1 = cpu(m_s1) / n, e2 = cpu(m_s2) / n, e3 = cpu(m_s3) / n, e4 = cpu(m_s4) / n;
    s.mean = e1;
    s.meanAbs = cpu(m_sAbs) / n;
    auto var = e2 - e1 * e1;
    auto m4 = e4 - 4 * e1 * e3 + 6 * e1 * e1 * e2 - 3 * e1.pow(4);
    // A constant channel has no defined kurtosis; report 0 rather than NaN.
    s.kurtosis = at::where(var > 1e-300, m4 / (var * var), at::zeros_like(var));

    const double N = n * static_cast<double>(m_channels);
    const double t1 = m_s1.sum().item<double>() / N, t2 = m_s2.sum().item<double>() / N, t3 = m_s3.sum().item<double>() / N,
                 t4 = m_s4.sum().item<double>() / N;
    const double tvar = t2 - t1 * t1;
    const double tm4 = t4 - 4 * t1 * t3 + 6 * t1 * t1 * t2 - 3 * std::pow(t1, 4);
    s.tensorKurtosis = tvar > 1e-300 ? tm4 / (tvar * tvar) : 0.0;
    s.meanAbsAll = m_sAbs.sum().item<double>() / N;

    s.tokenAbsmax = at::cat(m_tokenAbs);
    s.tokenArgmax = at::cat(m_tokenArg);
    s.top = m_top;
    s.tile = m_tile;

    const auto bins = m_o.histogramBins;
    s.histogramEdges = at::linspace(m_o.histogramLog10Min, m_o.histogramLog10Max, bins + 1, at::kDouble);
    s.histogramCounts = cpu(m_hist).round().to(at::kLong);
    s.belowHistogram = m_below;

    // Median |x|: walk the cumulative counts, interpolate inside the bin (log scale).
    const double half = N / 2.0;
    double cum = static_cast<double>(m_below);
    s.medianAbs = std::pow(10.0, m_o.histogramLog10Min);
    if (cum < half) {
        auto counts = s.histogramCounts.to(at::kDouble);
        const auto* c = counts.data_ptr<double>();
        const double width = (m_o.histogramLog10Max - m_o.histogramLog10Min) / static_cast<double>(bins);
        for (std::int64_t i = 0; i < bins; ++i) {
            if (cum + c[i] >= half) {
                const double frac = c[i] > 0 ? (half - cum) / c[i] : 0.0;
                s.medianAbs = std::pow(10.0, m_o.histogramLog10Min + (static_cast<double>(i) + frac) * width);
                break;
            }
            cum += c[i];
        }
    }
    return s;
}

} // namespace ol
