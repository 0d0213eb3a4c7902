#pragma once
// Token × channel heat map of a site's sampled tile (actual values of the
// first calibration window): signed values on a diverging scale, or log10|x|
// when "log colour" is on, with a colour scale beside it.
#include "views/plots/plotwidget.h"

#include <ATen/core/Tensor.h>
#include <cstdint>

namespace olv {

class HeatmapPlot : public PlotWidget {
    Q_OBJECT
public:
    explicit HeatmapPlot(QWidget* parent = nullptr);
    // tile [T, C] float
    void setTile(const at::Tensor& tile);
    void clear();
    void setLogColor(bool on);
    bool logColor() const { return m_log; }
    int tokens() const { return m_tokens; }
    int channels() const { return m_channels; }
    QString csv() const override;

protected:
    QString hoverText(const QPoint& pixel) const override;

private:
    void rebuild();
    std::vector<float> m_values;
    int m_tokens = 0, m_channels = 0;
    bool m_log = true;
    QCPColorMap* m_map;
    QCPColorScale* m_scale;
};

} // namespace olv
