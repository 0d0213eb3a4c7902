#pragma once
// Classification of activation outliers into the two kinds the literature
// distinguishes (docs/outliers.md has definitions, defaults and sources):
//  - massive: a handful of values far above everything else (Sun et al. 2024,
//    "Massive Activations in Large Language Models": |x| > 100 and about
//    1,000x the median |x|); reported as (window, token, channel, value).
//  - normal: channels that are large in (nearly) every token: their absmax
//    is many times the median channel absmax, and so is their mean |x|
//    (a few spikes do not make a channel "normal"). A channel holding massive
//    values is reported as massive, not as normal.
#include "core/calib/sitestatistics.h"

#include <vector>

namespace ol {

struct OutlierThresholds {
    double massiveAbs = 100.0;    // |x| above this ...
    double massiveRatio = 1000.0; // ... and above this multiple of the median |x|
    double normalRatio = 10.0;    // channel absmax and mean |x| above this multiple of their medians over channels
};

struct OutlierReport {
    double medianChannelAbsmax = 0;
    double absmax = 0;
    double ratio = 0;              // absmax / median channel absmax
    std::vector<TopValue> massive; // largest first (from the kept top-k; `massiveSaturated` when all qualified)
    bool massiveSaturated = false;
    std::vector<std::int64_t> normalChannels;  // ascending
    std::vector<std::int64_t> massiveChannels; // distinct channels of the massive values, ascending
};

OutlierReport classifyOutliers(const SiteStatistics& stats, const OutlierThresholds& thresholds = {});

} // namespace ol
