#include "views/plots/heatmapplot.h"

#include "views/plots/plotdata.h"

#include <cmath>

namespace olv {

HeatmapPlot::HeatmapPlot(QWidget* parent) : PlotWidget(parent) {
    xAxis->setLabel(tr("input channel"));
    yAxis->setLabel(tr("token"));
    yAxis->setRangeReversed(true);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_map = new QCPColorMap(xAxis, yAxis);
    m_scale = new QCPColorScale(this);
    plotLayout()->addElement(0, 1, m_scale);
    m_scale->setType(QCPAxis::atRight);
    m_map->setColorScale(m_scale);
    auto* group = new QCPMarginGroup(this);
    axisRect()->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    m_scale->setMarginGroup(QCP::msBottom | QCP::msTop, group);
    m_map->setInterpolate(false);
    setLogColor(true);
    applyPalette();
    styleAxisRect(m_scale->axis()->axisRect());
}

void HeatmapPlot::clear() {
    m_values.clear();
    m_tokens = m_channels = 0;
    rebuild();
}

void HeatmapPlot::setTile(const at::Tensor& tile) {
    if (!tile.defined() || tile.dim() != 2) return clear();
    m_tokens = static_cast<int>(tile.size(0));
    m_channels = static_cast<int>(tile.size(1));
    m_values = toFloatVector(tile);
    rebuild();
}

void HeatmapPlot::setLogColor(bool on) {
    m_log = on;
    m_scale->axis()->setLabel(on ? tr("log10 |x|") : tr("x"));
    QCPColorGradient g(on ? QCPColorGradient::gpThermal : QCPColorGradient::gpPolar);
    m_map->setGradient(g);
    rebuild();
}

void HeatmapPlot::rebuild() {
    auto* data = m_map->data();
    data->setSize(std::max(m_channels, 1), std::max(m_tokens, 1));
    data->setRange(QCPRange(0, std::max(m_channels - 1, 1)), QCPRange(0, std::max(m_tokens - 1, 1)));
    double absmax = 0;
    for (float v : m_values) absmax = std::max(absmax, static_cast<double>(std::abs(v)));
    for (int t = 0; t < m_tokens; ++t)
        for (int c = 0; c < m_channels; ++c) {
            const double v = m_values[static_cast<std::size_t>(t) * m_channels + c];
            data->setCell(c, t, m_log ? std::log10(std::max(std::abs(v), 1e-6)) : v);
        }
    if (m_log) {
        const double hi = std::log10(std::max(absmax, 1e-6));
        m_map->setDataRange(QCPRange(hi - 4, hi)); // four decades below the largest value
    } else {
        m_map->setDataRange(QCPRange(-std::max(absmax, 1e-6), std::max(absmax, 1e-6)));
    }
    xAxis->setRange(-0.5, std::max(m_channels, 1) - 0.5);
    yAxis->setRange(-0.5, std::max(m_tokens, 1) - 0.5);
    replot(rpQueuedReplot);
}

QString HeatmapPlot::hoverText(const QPoint& p) const {
    if (m_values.empty() || !axisRect()->rect().contains(p)) return {};
    const int c = static_cast<int>(std::lround(xAxis->pixelToCoord(p.x())));
    const int t = static_cast<int>(std::lround(yAxis->pixelToCoord(p.y())));
    if (c < 0 || c >= m_channels || t < 0 || t >= m_tokens) return {};
    return tr("token %1, channel %2: %3").arg(t).arg(c).arg(formatValue(m_values[static_cast<std::size_t>(t) * m_channels + c]));
}

QString HeatmapPlot::csv() const {
    QString out = QStringLiteral("token,channel,value\n");
    for (int t = 0; t < m_tokens; ++t)
        for (int c = 0; c < m_channels; ++c)
            out +=
                QStringLiteral("%1,%2,%3\n").arg(t).arg(c).arg(m_values[static_cast<std::size_t>(t) * m_channels + c], 0, 'g', 8);
    return out;
}

} // namespace olv
