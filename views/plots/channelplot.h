#pragma once
// Channel magnitudes of one site: absmax per channel, with the channels that
// carry normal outliers (orange) and massive outliers (red) marked, and the
// thresholds that classify them as dashed lines. Log or linear y.
#include "core/calib/outliers.h"
#include "views/plots/plotwidget.h"

#include <vector>

namespace olv {

class ChannelPlot : public PlotWidget {
    Q_OBJECT
public:
    explicit ChannelPlot(QWidget* parent = nullptr);

    void setData(const ol::SiteStatistics& stats, const ol::OutlierReport& report, const ol::OutlierThresholds& thresholds);
    void clear();
    void setLogScale(bool on);
    bool logScale() const { return m_log; }

    // Channels marked on the plot (what the tests check).
    const std::vector<std::int64_t>& markedNormalChannels() const { return m_normal; }
    const std::vector<std::int64_t>& markedMassiveChannels() const { return m_massive; }
    QString csv() const override;

protected:
    QString hoverText(const QPoint& pixel) const override;

private:
    void rebuild();
    std::vector<float> m_absmax, m_meanAbs;
    std::vector<std::int64_t> m_normal, m_massive;
    double m_normalThreshold = 0, m_massiveThreshold = 0;
    bool m_log = true;
};

} // namespace olv
