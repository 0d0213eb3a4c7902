#include "views/outliers/outlierview.h"

#include "views/plots/channelplot.h"
#include "views/plots/depthplot.h"
#include "views/plots/heatmapplot.h"
#include "views/plots/plotdata.h"
#include "views/plots/tokenplot.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSplitter>
#include <QVBoxLayout>

namespace olv {

OutlierView::OutlierView(QWidget* parent)
    : QWidget(parent), m_summary(new QLabel(this)), m_logY(new QCheckBox(tr("Log y"), this)),
      m_logColor(new QCheckBox(tr("Log colour"), this)), m_metric(new QComboBox(this)), m_channels(new ChannelPlot),
      m_heatmap(new HeatmapPlot), m_tokens(new TokenPlot), m_depth(new DepthPlot) {
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_logY->setChecked(true);
    m_logColor->setChecked(true);
    m_metric->addItems({tr("absmax"), tr("absmax ratio"), tr("kurtosis")});
    m_metric->setToolTip(tr("Value per layer in the depth overview"));
    connect(m_logY, &QCheckBox::toggled, m_channels, &ChannelPlot::setLogScale);
    connect(m_logColor, &QCheckBox::toggled, m_heatmap, &HeatmapPlot::setLogColor);
    connect(m_metric, &QComboBox::currentIndexChanged, this,
            [this](int i) { m_depth->setMetric(static_cast<DepthPlot::Metric>(i)); });
    connect(m_depth, &DepthPlot::layerClicked, this, &OutlierView::layerClicked);

    auto* controls = new QHBoxLayout;
    controls->addWidget(m_logY);
    controls->addWidget(m_logColor);
    controls->addStretch();
    controls->addWidget(new QLabel(tr("Depth:"), this));
    controls->addWidget(m_metric);

    auto titled = [](QWidget* plot, const QString& title) {
        auto* box = new QWidget;
        auto* l = new QVBoxLayout(box);
        l->setContentsMargins(0, 0, 0, 0);
        l->setSpacing(2);
        auto* label = new QLabel(QStringLiteral("<b>%1</b>").arg(title));
        l->addWidget(label);
        l->addWidget(plot, 1);
        return box;
    };
    auto* top = new QSplitter(Qt::Horizontal);
    top->addWidget(titled(m_channels, tr("Channel magnitudes")));
    top->addWidget(titled(m_heatmap, tr("Token × channel (sampled tile)")));
    auto* bottom = new QSplitter(Qt::Horizontal);
    bottom->addWidget(titled(m_tokens, tr("Per-token absmax")));
    bottom->addWidget(titled(m_depth, tr("Depth overview")));
    auto* rows = new QSplitter(Qt::Vertical);
    rows->addWidget(top);
    rows->addWidget(bottom);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_summary);
    layout->addLayout(controls);
    layout->addWidget(rows, 1);
    clear();
}

void OutlierView::clear() {
    m_summary->setText(tr("Select a layer input in Model & layers to see its outliers."));
    m_channels->clear();
    m_heatmap->clear();
    m_tokens->clear();
}

void OutlierView::setSite(const ol::SiteStatistics& s, const ol::OutlierReport& r, const std::vector<SiteSummary>& depth,
                          std::int64_t seqlen, const ol::OutlierThresholds& thresholds) {
    QStringList massive;
    for (std::size_t i = 0; i < r.massive.size() && i < 4; ++i)
        massive << tr("%1 at token %2, channel %3")
                       .arg(formatValue(r.massive[i].value))
                       .arg(r.massive[i].token)
                       .arg(r.massive[i].channel);
    QStringList normal;
    for (std::size_t i = 0; i < r.normalChannels.size() && i < 12; ++i) normal << QString::number(r.normalChannels[i]);
    if (r.normalChannels.size() > 12) normal << QStringLiteral("…");
    m_summary->setText(
        tr("<b>Layer %1, %2</b> (%3) — %4 channels, %5 tokens · absmax <b>%6</b> · median channel absmax %7 · ratio <b>%8×</b> · "
           "kurtosis %9<br><span style='color:%10'>massive: %11</span> · <span style='color:%12'>normal channels: %13</span>")
            .arg(s.layer)
            .arg(siteTitle(s.site), QString::fromStdString(s.moduleName()))
            .arg(s.channels)
            .arg(s.tokens)
            .arg(formatValue(r.absmax), formatValue(r.medianChannelAbsmax), formatValue(r.ratio), formatValue(s.tensorKurtosis))
            .arg(PlotWidget::massiveColor().name(),
                 massive.isEmpty()
                     ? tr("none")
                     : QStringLiteral("%1%2").arg(r.massive.size()).arg(tr(" values: ") + massive.join(QStringLiteral("; "))),
                 PlotWidget::normalColor().name(),
                 normal.isEmpty()
                     ? tr("none")
                     : QStringLiteral("%1 (%2)").arg(r.normalChannels.size()).arg(normal.join(QStringLiteral(", ")))));
    m_channels->setData(s, r, thresholds);
    m_heatmap->setTile(s.tile);
    m_tokens->setData(s.tokenAbsmax, s.tokenArgmax, seqlen);
    QVector<double> absmax, ratio, kurt;
    for (const auto& d : depth) absmax << d.absmax, ratio << d.ratio, kurt << d.kurtosis;
    m_depth->setData(siteTitle(s.site), absmax, ratio, kurt, s.layer);
}

QString OutlierView::summaryText() const { return m_summary->text(); }

} // namespace olv
