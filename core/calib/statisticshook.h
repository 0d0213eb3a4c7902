#pragma once
// An ActivationHook that feeds every site of every layer into its
// SiteAccumulator. It only observes: activations pass through unchanged.
#include "core/calib/siteaccumulator.h"
#include "core/model/activationhook.h"

#include <map>
#include <memory>
#include <utility>

namespace ol {

class StatisticsHook : public ActivationHook {
public:
    explicit StatisticsHook(AccumulatorOptions options = {}) : m_options(options) {}
    // Index of the first window of the batch about to run.
    void setFirstWindow(std::int64_t w) { m_firstWindow = w; }
    at::Tensor onActivation(int layer, Site site, const at::Tensor& x) override;
    // Finished statistics of one layer (its accumulators are released).
    std::vector<SiteStatistics> takeLayer(int layer);

private:
    AccumulatorOptions m_options;
    std::int64_t m_firstWindow = 0;
    std::map<std::pair<int, int>, std::unique_ptr<SiteAccumulator>> m_acc;
};

} // namespace ol
