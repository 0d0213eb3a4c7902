#include "views/plots/tokenplot.h"

#include "views/plots/plotdata.h"

#include <ATen/ATen.h>

namespace olv {

TokenPlot::TokenPlot(QWidget* parent) : PlotWidget(parent) {
    xAxis->setLabel(tr("calibration token (window order)"));
    yAxis->setLabel(tr("token max |x|"));
    yAxis->setScaleType(QCPAxis::stLogarithmic);
    yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    axisRect()->setRangeZoom(Qt::Horizontal);
    axisRect()->setRangeDrag(Qt::Horizontal);
    applyPalette();
}

void TokenPlot::clear() {
    m_absmax.clear();
    m_argmax.clear();
    clearGraphs();
    replot(rpQueuedReplot);
}

void TokenPlot::setData(const at::Tensor& absmax, const at::Tensor& argmax, std::int64_t seqlen) {
    m_absmax = toFloatVector(absmax);
    m_argmax.clear();
    if (argmax.defined()) {
        auto a = argmax.to(at::kLong).contiguous();
        m_argmax.assign(a.data_ptr<std::int64_t>(), a.data_ptr<std::int64_t>() + a.numel());
    }
    m_seqlen = seqlen;
    clearGraphs();
    auto* g = addGraph();
    g->setPen(QPen(seriesColor(0), 1));
    g->setData(iota(static_cast<int>(m_absmax.size())), toQVector(m_absmax), true);
    g->rescaleAxes();
    setDecadeRange(yAxis, yAxis->range().lower * 0.8, yAxis->range().upper * 1.2);
    replot(rpQueuedReplot);
}

QString TokenPlot::hoverText(const QPoint& p) const {
    if (m_absmax.empty() || !axisRect()->rect().contains(p)) return {};
    const auto i = static_cast<std::int64_t>(std::lround(xAxis->pixelToCoord(p.x())));
    if (i < 0 || i >= static_cast<std::int64_t>(m_absmax.size())) return {};
    const auto idx = static_cast<std::size_t>(i);
    QString where = m_seqlen > 0 ? tr("window %1, token %2").arg(i / m_seqlen).arg(i % m_seqlen) : tr("token %1").arg(i);
    return tr("%1: max |x| %2 at channel %3")
        .arg(where)
        .arg(formatValue(m_absmax[idx]))
        .arg(idx < m_argmax.size() ? QString::number(m_argmax[idx]) : QStringLiteral("?"));
}

QString TokenPlot::csv() const {
    QString out = QStringLiteral("token,absmax,argmax_channel\n");
    for (std::size_t i = 0; i < m_absmax.size(); ++i)
        out += QStringLiteral("%1,%2,%3\n").arg(i).arg(m_absmax[i], 0, 'g', 8).arg(i < m_argmax.size() ? m_argmax[i] : -1);
    return out;
}

} // namespace olv
