#include "views/plots/depthplot.h"

#include "views/plots/plotdata.h"

namespace olv {

DepthPlot::DepthPlot(QWidget* parent) : PlotWidget(parent) {
    xAxis->setLabel(tr("decoder layer"));
    auto ticker = QSharedPointer<QCPAxisTickerFixed>(new QCPAxisTickerFixed);
    ticker->setTickStep(1);
    ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
    xAxis->setTicker(ticker);
    applyPalette();
}

const QVector<double>& DepthPlot::values() const {
    return m_metric == Metric::Absmax ? m_absmax : m_metric == Metric::Ratio ? m_ratio : m_kurtosis;
}

void DepthPlot::setData(const QString& site, const QVector<double>& absmax, const QVector<double>& ratio,
                        const QVector<double>& kurtosis, int selected) {
    m_site = site;
    m_absmax = absmax;
    m_ratio = ratio;
    m_kurtosis = kurtosis;
    m_selected = selected;
    rebuild();
}

void DepthPlot::setMetric(Metric m) {
    m_metric = m;
    rebuild();
}

void DepthPlot::setSelectedLayer(int layer) {
    m_selected = layer;
    rebuild();
}

void DepthPlot::rebuild() {
    clearGraphs();
    const auto& v = values();
    const QString name = m_metric == Metric::Absmax  ? tr("absmax")
                         : m_metric == Metric::Ratio ? tr("absmax / median channel absmax")
                                                     : tr("kurtosis");
    yAxis->setLabel(name);
    auto* g = addGraph();
    g->setPen(QPen(seriesColor(0), 2));
    g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 7));
    g->setData(iota(static_cast<int>(v.size())), v, true);
    if (m_selected >= 0 && m_selected < v.size()) {
        auto* sel = addGraph();
        sel->setLineStyle(QCPGraph::lsNone);
        sel->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, massiveColor(), 14));
        sel->setData(QVector<double>{double(m_selected)}, QVector<double>{v[m_selected]}, true);
    }
    xAxis->setRange(-0.5, std::max<double>(v.size(), 1) - 0.5);
    g->rescaleValueAxis();
    const auto r = yAxis->range();
    yAxis->setRange(std::min(0.0, r.lower), r.upper * 1.1 + 1e-9);
    replot(rpQueuedReplot);
}

int DepthPlot::layerAt(const QPoint& p) const {
    if (!axisRect()->rect().contains(p)) return -1;
    const int l = static_cast<int>(std::lround(xAxis->pixelToCoord(p.x())));
    return l >= 0 && l < values().size() ? l : -1;
}

QString DepthPlot::hoverText(const QPoint& p) const {
    const int l = layerAt(p);
    if (l < 0) return {};
    return tr("layer %1: absmax %2, ratio %3, kurtosis %4 (click to select)")
        .arg(l)
        .arg(formatValue(m_absmax.value(l)))
        .arg(formatValue(m_ratio.value(l)))
        .arg(formatValue(m_kurtosis.value(l)));
}

void DepthPlot::mouseReleaseEvent(QMouseEvent* event) {
    PlotWidget::mouseReleaseEvent(event);
    const int l = layerAt(event->pos());
    if (event->button() == Qt::LeftButton && l >= 0) Q_EMIT layerClicked(l);
}

QString DepthPlot::csv() const {
    QString out = QStringLiteral("layer,absmax,ratio,kurtosis\n");
    for (int l = 0; l < m_absmax.size(); ++l)
        out += QStringLiteral("%1,%2,%3,%4\n")
                   .arg(l)
                   .arg(m_absmax[l], 0, 'g', 8)
                   .arg(m_ratio.value(l), 0, 'g', 8)
                   .arg(m_kurtosis.value(l), 0, 'g', 8);
    return out;
}

} // namespace olv
