#include "views/preview/previewview.h"

#include "views/plots/plotdata.h"
#include "views/plots/seriesplot.h"

#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

namespace olv {

namespace {

const QColor kBefore(120, 120, 120);
const QColor kAfter(38, 139, 210);

struct Row {
    const char* label;
    double (*get)(const ol::PreviewSide&);
    bool higherIsBetter;
};
const Row kRows[] = {
    {"output SQNR (dB)", [](const ol::PreviewSide& s) { return s.output.sqnrDb; }, true},
    {"output MSE", [](const ol::PreviewSide& s) { return s.output.mse; }, false},
    {"activation MSE", [](const ol::PreviewSide& s) { return s.activation.mse; }, false},
    {"activation SQNR (dB)", [](const ol::PreviewSide& s) { return s.activation.sqnrDb; }, true},
    {"activation max error", [](const ol::PreviewSide& s) { return s.activation.maxAbs; }, false},
    {"weight MSE", [](const ol::PreviewSide& s) { return s.weight.mse; }, false},
    {"weight SQNR (dB)", [](const ol::PreviewSide& s) { return s.weight.sqnrDb; }, true},
    {"weight max error", [](const ol::PreviewSide& s) { return s.weight.maxAbs; }, false},
    {"activation absmax", [](const ol::PreviewSide& s) { return s.absmax; }, false},
    {"absmax / median channel", [](const ol::PreviewSide& s) { return s.ratio(); }, false},
    {"kurtosis", [](const ol::PreviewSide& s) { return s.kurtosis; }, false},
};

} // namespace

PreviewView::PreviewView(QWidget* parent)
    : QWidget(parent), m_status(new QLabel(this)), m_table(new QTableWidget(this)), m_channels(new SeriesPlot),
      m_tokens(new SeriesPlot), m_histogram(new SeriesPlot) {
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_table->setColumnCount(3);
    m_table->setHorizontalHeaderLabels({tr("before"), tr("after"), tr("change")});
    m_table->setRowCount(static_cast<int>(std::size(kRows)));
    QStringList labels;
    for (const auto& r : kRows) labels << tr(r.label);
    m_table->setVerticalHeaderLabels(labels);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setMinimumHeight(120);

    m_channels->setAxes(tr("channel (after: in transformed order)"), tr("max |x|"), true);
    m_tokens->setAxes(tr("token of the sample"), tr("token min / max"), false);
    m_histogram->setAxes(tr("log10 |x|"), tr("fraction of values"), false);

    auto* plots = new QSplitter(Qt::Vertical);
    plots->addWidget(m_channels);
    plots->addWidget(m_tokens);
    plots->addWidget(m_histogram);
    auto* split = new QSplitter(Qt::Horizontal);
    auto* left = new QWidget;
    auto* leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    leftLayout->addWidget(m_status);
    leftLayout->addWidget(m_table, 1);
    split->addWidget(left);
    split->addWidget(plots);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);
    split->setSizes({470, 530});
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);
    clear();
}

void PreviewView::clear() {
    m_has = false;
    m_status->setText(
        tr("Select a linear input (q/k/v, o, gate/up or down_proj input) after calibration to preview the method on it."));
    for (int r = 0; r < m_table->rowCount(); ++r)
        for (int c = 0; c < 3; ++c) m_table->setItem(r, c, new QTableWidgetItem(QStringLiteral("–")));
    m_channels->clearSeries();
    m_tokens->clearSeries();
    m_histogram->clearSeries();
}

void PreviewView::setPending(const QString& what) {
    m_status->setText(tr("Computing preview: %1 …").arg(what) +
                      (m_has ? tr("<br>(showing the previous result until it is ready)") : QString()));
}

void PreviewView::setError(const QString& message) {
    m_status->setText(
        QStringLiteral("<span style='color:#dc322f'><b>%1</b> %2</span>").arg(tr("Preview failed:"), message.toHtmlEscaped()));
}

QString PreviewView::number(const QString& row, int column) const {
    for (int r = 0; r < m_table->rowCount(); ++r)
        if (m_table->verticalHeaderItem(r)->text() == row) return m_table->item(r, column)->text();
    return {};
}

void PreviewView::setPreview(const ol::LayerPreview& p) {
    m_preview = p;
    m_has = true;
    m_status->setText((p.firstStage ? tr("<i>first stage, the method's search follows</i> · ") : QString()) +
                      tr("<b>%1</b> on layer %2, %3 — %4 · %5 tokens × %6 channels · transform: %7 · weight error over %8 of %9 "
                         "rows · computed in %10 ms")
                          .arg(QString::fromStdString(p.method))
                          .arg(p.layer)
                          .arg(QString::fromLatin1(ol::siteKey(p.site)), QString::fromStdString(p.settingsLabel))
                          .arg(p.tokens)
                          .arg(p.channels)
                          .arg(QString::fromStdString(p.transform))
                          .arg(p.weightRows)
                          .arg(p.weightRowsTotal)
                          .arg(p.seconds * 1000, 0, 'f', 0));
    int r = 0;
    for (const auto& row : kRows) {
        const double b = row.get(p.before), a = row.get(p.after);
        m_table->setItem(r, 0, new QTableWidgetItem(formatValue(b)));
        m_table->setItem(r, 1, new QTableWidgetItem(formatValue(a)));
        QString change;
        bool better = false;
        if (std::isfinite(a) && std::isfinite(b)) {
            if (QString::fromLatin1(row.label).contains(QLatin1String("dB"))) {
                change = QStringLiteral("%1%2 dB").arg(a >= b ? "+" : "").arg(a - b, 0, 'f', 2);
            } else if (b != 0) {
                change = QStringLiteral("×%1").arg(formatValue(a / b));
            }
            better = row.higherIsBetter ? a > b : a < b;
        }
        auto* item = new QTableWidgetItem(change);
        if (!change.isEmpty() && a != b) item->setForeground(better ? QColor(0, 140, 60) : QColor(220, 50, 47));
        m_table->setItem(r, 2, item);
        ++r;
    }

    m_channels->clearSeries();
    const auto nc = static_cast<int>(p.before.channelAbsmax.size());
    m_channels->addSeries(tr("before"), iota(nc), toQVector(p.before.channelAbsmax), kBefore);
    m_channels->addSeries(tr("after"), iota(nc), toQVector(p.after.channelAbsmax), kAfter);
    m_channels->finish();

    m_tokens->clearSeries();
    const auto nt = static_cast<int>(p.before.tokenMax.size());
    m_tokens->addSeries(tr("before max"), iota(nt), toQVector(p.before.tokenMax), kBefore);
    m_tokens->addSeries(tr("before min"), iota(nt), toQVector(p.before.tokenMin), kBefore, SeriesPlot::Style::Line, Qt::DashLine);
    m_tokens->addSeries(tr("after max"), iota(nt), toQVector(p.after.tokenMax), kAfter);
    m_tokens->addSeries(tr("after min"), iota(nt), toQVector(p.after.tokenMin), kAfter, SeriesPlot::Style::Line, Qt::DashLine);
    m_tokens->finish();

    m_histogram->clearSeries();
    auto centres = [](const std::vector<double>& edges) {
        QVector<double> c;
        for (std::size_t i = 0; i + 1 < edges.size(); ++i) c << (edges[i] + edges[i + 1]) / 2;
        return c;
    };
    auto counts = [](const std::vector<double>& v) { return QVector<double>(v.begin(), v.end()); };
    m_histogram->addSeries(tr("before"), centres(p.before.histogramEdges), counts(p.before.histogramCounts), kBefore,
                           SeriesPlot::Style::Step);
    m_histogram->addSeries(tr("after"), centres(p.after.histogramEdges), counts(p.after.histogramCounts), kAfter,
                           SeriesPlot::Style::Step);
    m_histogram->finish();
}

} // namespace olv
