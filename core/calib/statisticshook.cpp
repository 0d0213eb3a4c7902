#include "core/calib/statisticshook.h"

namespace ol {

at::Tensor StatisticsHook::onActivation(int layer, Site site, const at::Tensor& x) {
    auto& acc = m_acc[{layer, static_cast<int>(site)}];
    if (!acc) acc = std::make_unique<SiteAccumulator>(layer, site, m_options);
    acc->add(x, m_firstWindow);
    return x;
}

std::vector<SiteStatistics> StatisticsHook::takeLayer(int layer) {
    std::vector<SiteStatistics> out;
    for (int s = 0; s < kSiteCount; ++s) {
        auto it = m_acc.find({layer, s});
        if (it == m_acc.end()) continue;
        out.push_back(it->second->finish());
        m_acc.erase(it);
    }
    return out;
}

} // namespace ol
