#include "views/plots/seriesplot.h"

#include "views/plots/plotdata.h"

#include <algorithm>

namespace olv {

SeriesPlot::SeriesPlot(QWidget* parent) : PlotWidget(parent) {
    legend->setVisible(true);
    legend->setFont(font());
    placeLegendAbove(4);
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    axisRect()->setRangeZoom(Qt::Horizontal);
    axisRect()->setRangeDrag(Qt::Horizontal);
    applyPalette();
}

void SeriesPlot::setAxes(const QString& xLabel, const QString& yLabel, bool logY) {
    m_xLabel = xLabel;
    xAxis->setLabel(xLabel);
    yAxis->setLabel(yLabel);
    m_logY = logY;
    yAxis->setScaleType(logY ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (logY)
        yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    else
        yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
}

void SeriesPlot::clearSeries() {
    m_series.clear();
    clearGraphs();
    replot(rpQueuedReplot);
}

void SeriesPlot::addSeries(const QString& name, const QVector<double>& x, const QVector<double>& y, const QColor& color,
                           Style style, Qt::PenStyle penStyle) {
    m_series.push_back({name, x, y});
    auto* g = addGraph();
    g->setName(name);
    g->setPen(QPen(color, style == Style::Step ? 2 : 1, penStyle));
    g->setLineStyle(style == Style::Step      ? QCPGraph::lsStepCenter
                    : style == Style::Impulse ? QCPGraph::lsImpulse
                                              : QCPGraph::lsLine);
    g->setData(x, y, true);
}

void SeriesPlot::finish() {
    rescaleAxes();
    if (m_logY) {
        double lo = 0;
        for (const auto& s : m_series)
            for (double v : s.y)
                if (v > 0 && (lo == 0 || v < lo)) lo = v;
        setDecadeRange(yAxis, lo > 0 ? lo * 0.7 : 1e-6, yAxis->range().upper * 1.2);
    } else {
        const auto r = yAxis->range();
        const double pad = (r.upper - r.lower) * 0.08 + 1e-12;
        yAxis->setRange(r.lower - pad, r.upper + pad);
    }
    replot(rpQueuedReplot);
}

QString SeriesPlot::hoverText(const QPoint& p) const {
    if (m_series.empty() || !axisRect()->rect().contains(p)) return {};
    const double x = xAxis->pixelToCoord(p.x());
    QStringList parts;
    for (const auto& s : m_series) {
        if (s.x.isEmpty()) continue;
        auto it = std::lower_bound(s.x.begin(), s.x.end(), x);
        if (it == s.x.end()) --it;
        if (it != s.x.begin() && std::abs(*(it - 1) - x) < std::abs(*it - x)) --it;
        const auto i = it - s.x.begin();
        parts << QStringLiteral("%1: %2").arg(s.name, formatValue(s.y[i]));
    }
    return QStringLiteral("%1 %2 — ").arg(m_xLabel, formatValue(x)) + parts.join(QStringLiteral(", "));
}

QString SeriesPlot::csv() const {
    QString out = QStringLiteral("series,x,y\n");
    for (const auto& s : m_series)
        for (int i = 0; i < s.x.size(); ++i)
            out += QStringLiteral("\"%1\",%2,%3\n").arg(s.name).arg(s.x[i], 0, 'g', 10).arg(s.y[i], 0, 'g', 10);
    return out;
}

} // namespace olv
