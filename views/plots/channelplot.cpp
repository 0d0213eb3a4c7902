#include "views/plots/channelplot.h"

#include "views/plots/plotdata.h"

#include <algorithm>

namespace olv {

ChannelPlot::ChannelPlot(QWidget* parent) : PlotWidget(parent) {
    xAxis->setLabel(tr("input channel"));
    yAxis->setLabel(tr("max |x|"));
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    axisRect()->setRangeZoom(Qt::Horizontal);
    axisRect()->setRangeDrag(Qt::Horizontal);
    legend->setVisible(true);
    legend->setFont(font());
    placeLegendAbove(2);
    setLogScale(true);
    applyPalette();
}

void ChannelPlot::clear() {
    m_absmax.clear();
    m_meanAbs.clear();
    m_normal.clear();
    m_massive.clear();
    rebuild();
}

void ChannelPlot::setData(const ol::SiteStatistics& s, const ol::OutlierReport& r, const ol::OutlierThresholds& t) {
    m_absmax = toFloatVector(s.absmax);
    m_meanAbs = toFloatVector(s.meanAbs);
    m_normal = r.normalChannels;
    m_massive = r.massiveChannels;
    m_normalThreshold = t.normalRatio * r.medianChannelAbsmax;
    m_massiveThreshold = std::max(t.massiveAbs, t.massiveRatio * s.medianAbs);
    rebuild();
}

void ChannelPlot::setLogScale(bool on) {
    m_log = on;
    yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (on)
        yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    else
        yAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    rebuild();
}

void ChannelPlot::rebuild() {
    clearGraphs();
    clearItems();
    const int n = static_cast<int>(m_absmax.size());
    if (n == 0) {
        replot(rpQueuedReplot);
        return;
    }
    const auto x = iota(n);
    auto* absmax = addGraph();
    absmax->setName(tr("absmax"));
    absmax->setLineStyle(n > 400 ? QCPGraph::lsLine : QCPGraph::lsImpulse);
    absmax->setPen(QPen(seriesColor(0), 1));
    absmax->setData(x, toQVector(m_absmax), true);
    auto* mean = addGraph();
    mean->setName(tr("mean |x|"));
    mean->setPen(QPen(seriesColor(1), 1));
    mean->setData(x, toQVector(m_meanAbs), true);

    auto marks = [&](const std::vector<std::int64_t>& channels, const QColor& color, const QString& name) {
        auto* g = addGraph();
        g->setName(name.arg(channels.size()));
        g->setLineStyle(QCPGraph::lsNone);
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, color, color, 7));
        QVector<double> cx, cy;
        for (auto c : channels)
            if (c >= 0 && c < n) cx << c, cy << m_absmax[static_cast<std::size_t>(c)];
        g->setData(cx, cy, true);
    };
    marks(m_normal, normalColor(), tr("normal outlier channels (%1)"));
    marks(m_massive, massiveColor(), tr("massive outlier channels (%1)"));

    auto line = [&](double y, const QColor& color, const QString& label, bool right) {
        if (y <= 0) return;
        auto* l = new QCPItemStraightLine(this);
        l->point1->setCoords(0, y);
        l->point2->setCoords(1, y);
        l->setPen(QPen(color, 1, Qt::DashLine));
        // Just above its line, never on it; the two thresholds' labels at opposite ends, so they never overlap.
        auto* text = new QCPItemText(this);
        text->position->setTypeX(QCPItemPosition::ptAxisRectRatio);
        text->position->setCoords(right ? 0.99 : 0.01, y);
        text->setPositionAlignment((right ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignBottom);
        text->setPadding(QMargins(2, 0, 2, 2));
        text->setText(label);
        text->setColor(color);
    };
    line(m_normalThreshold, normalColor(), tr("normal threshold %1").arg(formatValue(m_normalThreshold)), false);
    line(m_massiveThreshold, massiveColor(), tr("massive threshold %1").arg(formatValue(m_massiveThreshold)), true);

    xAxis->setRange(-0.5, n - 0.5);
    const double top = std::max({*std::max_element(m_absmax.begin(), m_absmax.end()) * 1.5, m_normalThreshold * 1.2,
                                 m_massiveThreshold < 1e6 ? m_massiveThreshold * 1.2 : 0.0});
    const float positiveMin = [&] {
        float m = 0;
        for (float v : m_meanAbs)
            if (v > 0 && (m == 0 || v < m)) m = v;
        return m > 0 ? m : 1e-3f;
    }();
    if (m_log)
        setDecadeRange(yAxis, positiveMin * 0.5, top);
    else
        yAxis->setRange(0, top);
    replot(rpQueuedReplot);
}

QString ChannelPlot::hoverText(const QPoint& p) const {
    if (m_absmax.empty() || !axisRect()->rect().contains(p)) return {};
    const int c = static_cast<int>(std::lround(xAxis->pixelToCoord(p.x())));
    if (c < 0 || c >= static_cast<int>(m_absmax.size())) return {};
    QString kind;
    if (std::binary_search(m_massive.begin(), m_massive.end(), c))
        kind = tr(" — massive outlier channel");
    else if (std::binary_search(m_normal.begin(), m_normal.end(), c))
        kind = tr(" — normal outlier channel");
    return tr("channel %1: absmax %2, mean |x| %3%4")
        .arg(c)
        .arg(formatValue(m_absmax[static_cast<std::size_t>(c)]))
        .arg(formatValue(m_meanAbs.empty() ? 0 : m_meanAbs[static_cast<std::size_t>(c)]))
        .arg(kind);
}

QString ChannelPlot::csv() const {
    QString out = QStringLiteral("channel,absmax,mean_abs,outlier\n");
    for (std::size_t c = 0; c < m_absmax.size(); ++c) {
        const auto ch = static_cast<std::int64_t>(c);
        const char* kind = std::binary_search(m_massive.begin(), m_massive.end(), ch) ? "massive"
                           : std::binary_search(m_normal.begin(), m_normal.end(), ch) ? "normal"
                                                                                      : "";
        out += QStringLiteral("%1,%2,%3,%4\n")
                   .arg(c)
                   .arg(m_absmax[c], 0, 'g', 8)
                   .arg(c < m_meanAbs.size() ? m_meanAbs[c] : 0.f, 0, 'g', 8)
                   .arg(QLatin1String(kind));
    }
    return out;
}

} // namespace olv
