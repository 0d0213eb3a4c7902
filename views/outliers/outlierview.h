#pragma once
// The Outliers dock: for the selected site, the channel magnitudes with
// massive and normal outliers marked, the token × channel heat map of the
// sampled tile, the per-token absmax, and the depth overview (one value per
// layer; clicking a layer selects it), with the numbers above them.
#include "core/calib/outliers.h"
#include "views/layers/layertreemodel.h"

#include <QWidget>

class QLabel;
class QCheckBox;
class QComboBox;

namespace olv {

class ChannelPlot;
class HeatmapPlot;
class TokenPlot;
class DepthPlot;

class OutlierView : public QWidget {
    Q_OBJECT
public:
    explicit OutlierView(QWidget* parent = nullptr);

    // `depth`: the same site in every layer (for the overview); `seqlen` splits token indices into windows.
    void setSite(const ol::SiteStatistics& stats, const ol::OutlierReport& report, const std::vector<SiteSummary>& depth,
                 std::int64_t seqlen, const ol::OutlierThresholds& thresholds = {});
    void clear();

    ChannelPlot* channelPlot() const { return m_channels; }
    HeatmapPlot* heatmapPlot() const { return m_heatmap; }
    TokenPlot* tokenPlot() const { return m_tokens; }
    DepthPlot* depthPlot() const { return m_depth; }
    QString summaryText() const;

Q_SIGNALS:
    void layerClicked(int layer);

private:
    QLabel* m_summary;
    QCheckBox* m_logY;
    QCheckBox* m_logColor;
    QComboBox* m_metric;
    ChannelPlot* m_channels;
    HeatmapPlot* m_heatmap;
    TokenPlot* m_tokens;
    DepthPlot* m_depth;
};

} // namespace olv
