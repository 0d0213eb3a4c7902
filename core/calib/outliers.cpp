#include "core/calib/outliers.h"

#include <ATen/ATen.h>
#include <algorithm>
#include <cmath>
#include <set>

namespace ol {

OutlierReport classifyOutliers(const SiteStatistics& s, const OutlierThresholds& t) {
    OutlierReport r;
    r.medianChannelAbsmax = s.absmax.median().item<double>();
    r.absmax = s.absmax.max().item<double>();
    r.ratio = r.medianChannelAbsmax > 0 ? r.absmax / r.medianChannelAbsmax : 0.0;

    const double massiveBar = std::max(t.massiveAbs, t.massiveRatio * s.medianAbs);
    std::set<std::int64_t> massiveChannels;
    for (const auto& v : s.top) {
        if (std::abs(v.value) <= massiveBar) break; // top is sorted by |value|
        r.massive.push_back(v);
        massiveChannels.insert(v.channel);
    }
    r.massiveSaturated = !r.massive.empty() && r.massive.size() == s.top.size();
    r.massiveChannels.assign(massiveChannels.begin(), massiveChannels.end());

    const double medianMeanAbs = s.meanAbs.median().item<double>();
    auto absmax = s.absmax.contiguous();
    auto meanAbs = s.meanAbs.contiguous();
    const auto* am = absmax.data_ptr<double>();
    const auto* ma = meanAbs.data_ptr<double>();
    for (std::int64_t c = 0; c < s.channels; ++c) {
        if (massiveChannels.count(c)) continue;
        if (am[c] > t.normalRatio * r.medianChannelAbsmax && ma[c] > t.normalRatio * medianMeanAbs) r.normalChannels.push_back(c);
    }
    return r;
}

} // namespace ol
