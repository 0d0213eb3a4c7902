#include "views/results/resultsview.h"

#include "views/plots/plotdata.h"

#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>

namespace olv {

namespace {
QString ppl(const std::optional<double>& v) { return v ? QString::number(*v, 'f', 4) : QStringLiteral("–"); }
QTableWidgetItem* cell(const QString& text) {
    auto* item = new QTableWidgetItem(text);
    item->setFlags(item->flags() & ~Qt::ItemIsEditable);
    return item;
}
QTableWidgetItem* number(double v, const QString& suffix = {}) {
    auto* item = cell(QString::number(v, 'f', 4) + suffix);
    item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return item;
}
// The value of a task's metric in a result set, when there.
std::optional<double> metricOf(const std::optional<ol::TaskResults>& r, const std::string& task, const std::string& metric) {
    if (r)
        for (const auto& t : r->tasks)
            if (t.task == task && t.metric(metric)) return t.metric(metric)->value;
    return std::nullopt;
}
} // namespace

ResultsView::ResultsView(QWidget* parent)
    : QWidget(parent), m_headline(new QLabel(this)), m_layers(new QTableWidget(this)), m_runTable(new QTableWidget(this)),
      m_tasks(new QTableWidget(this)), m_tasksTitle(new QLabel(this)) {
    m_headline->setWordWrap(true);
    m_headline->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_runTable->setColumnCount(8);
    m_runTable->setHorizontalHeaderLabels({tr("Method"), tr("Bits"), tr("Parameters"), tr("FP ppl"), tr("Quantized ppl"),
                                           tr("Δ ppl"), tr("Quantize (s)"), tr("Export")});
    m_runTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_runTable->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    m_runTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_runTable->setSelectionMode(QAbstractItemView::SingleSelection);
    m_layers->setColumnCount(7);
    m_layers->setHorizontalHeaderLabels({tr("Layer"), tr("Input / module"), tr("SQNR before (dB)"), tr("SQNR after (dB)"),
                                         tr("MSE before"), tr("MSE after"), tr("Seconds")});
    m_layers->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_layers->horizontalHeader()->setStretchLastSection(true);
    m_tasks->setColumnCount(6);
    m_tasks->setHorizontalHeaderLabels({tr("Task"), tr("Metric"), tr("FP"), tr("Quantized"), tr("Δ"), tr("Documents")});
    m_tasks->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_tasks->horizontalHeader()->setStretchLastSection(true);
    m_tasks->verticalHeader()->setVisible(false);
    m_tasksTitle->setText(
        tr("<b>Zero-shot tasks and MMLU</b> (tasks scored as lm-evaluation-harness v0.4; ± is the standard error)"));
    connect(m_runTable, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (row >= 0) showRun(row);
    });
    auto* split = new QSplitter(Qt::Vertical);
    auto* runs = new QWidget;
    auto* runsLayout = new QVBoxLayout(runs);
    runsLayout->setContentsMargins(0, 0, 0, 0);
    runsLayout->addWidget(new QLabel(tr("<b>Runs</b> (select one to see its layers)")));
    runsLayout->addWidget(m_runTable);
    auto* tasks = new QWidget;
    auto* tasksLayout = new QVBoxLayout(tasks);
    tasksLayout->setContentsMargins(0, 0, 0, 0);
    tasksLayout->addWidget(m_tasksTitle);
    tasksLayout->addWidget(m_tasks);
    m_tasksPane = tasks;
    auto* layers = new QWidget;
    auto* layersLayout = new QVBoxLayout(layers);
    layersLayout->setContentsMargins(0, 0, 0, 0);
    layersLayout->addWidget(new QLabel(tr("<b>Per-layer quantization error</b> (activations per input, weights per module; "
                                          "before = without the method's transform)")));
    layersLayout->addWidget(m_layers);
    split->addWidget(runs);
    split->addWidget(tasks);
    split->addWidget(layers);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_headline);
    layout->addWidget(split, 1);
    clear();
}

void ResultsView::clear() {
    m_runs.clear();
    m_runTable->setRowCount(0);
    m_layers->setRowCount(0);
    m_tasks->setRowCount(0);
    m_tasksPane->setVisible(false);
    m_headline->setText(tr("No quantization run yet. Use <b>Quantize &amp; Export</b>."));
}

QString ResultsView::headline() const { return m_headline->text(); }

void ResultsView::addRunningLayer(const QString& run, const ol::LayerReport& report) {
    if (!m_running.empty() && report.layer <= m_running.back().layer) m_running.clear(); // a new run began
    m_running.push_back(report);
    m_runTable->clearSelection();
    m_tasksPane->setVisible(false);
    showReports(m_running);
    m_headline->setText(tr("<b>%1</b> running: %2 layer(s) quantized, their errors below; perplexity and tasks follow "
                           "when every layer is done")
                            .arg(run.toHtmlEscaped())
                            .arg(m_running.size()));
}

void ResultsView::addRun(const RunSummary& run) {
    m_running.clear();
    m_runs.push_back(run);
    const int r = m_runTable->rowCount();
    m_runTable->insertRow(r);
    m_runTable->setItem(r, 0, cell(run.method));
    m_runTable->setItem(r, 1, cell(run.settings));
    m_runTable->setItem(r, 2, cell(run.parameters));
    m_runTable->item(r, 2)->setToolTip(run.parameters);
    m_runTable->setItem(r, 3, cell(ppl(run.fpPpl)));
    m_runTable->setItem(r, 4, cell(ppl(run.quantPpl)));
    m_runTable->setItem(
        r, 5,
        cell(run.fpPpl && run.quantPpl
                 ? QStringLiteral("%1%2").arg(*run.quantPpl >= *run.fpPpl ? "+" : "").arg(*run.quantPpl - *run.fpPpl, 0, 'f', 4)
                 : QStringLiteral("–")));
    m_runTable->setItem(r, 6, cell(QString::number(run.quantizeSeconds, 'f', 1)));
    m_runTable->setItem(r, 7, cell(run.exportDir.isEmpty() ? tr("(none)") : run.exportDir));
    m_runTable->selectRow(r);
    showRun(r);
    QString text = tr("<b>%1 %2</b>: FP perplexity <b>%3</b> → quantized <b>%4</b>")
                       .arg(run.method, run.settings, ppl(run.fpPpl), ppl(run.quantPpl));
    if (run.fpPpl && run.quantPpl) text += tr(" (×%1)").arg(*run.quantPpl / *run.fpPpl, 0, 'f', 3);
    if (run.evalWindows > 0) text += tr(" over %1 windows").arg(run.evalWindows);
    if (run.quantTasks) {
        QStringList parts;
        for (const auto& t : run.quantTasks->tasks) {
            const auto* m = t.metric("acc_norm") ? t.metric("acc_norm") : t.metric("acc");
            const auto fp = metricOf(run.fpTasks, t.task, m->name);
            parts << tr("%1 %2 %3 → %4")
                         .arg(QString::fromStdString(t.task), QString::fromStdString(m->name))
                         .arg(fp ? *fp : 0.0, 0, 'f', 3)
                         .arg(m->value, 0, 'f', 3);
        }
        text += tr("<br>tasks: %1").arg(parts.join(QStringLiteral(" · ")));
    }
    if (run.quantMmlu && run.fpMmlu)
        text += tr("<br>MMLU %1-shot: %2 → %3 (micro, %4 questions)")
                    .arg(run.quantMmlu->shots)
                    .arg(run.fpMmlu->microAccuracy, 0, 'f', 3)
                    .arg(run.quantMmlu->microAccuracy, 0, 'f', 3)
                    .arg(run.quantMmlu->questions);
    if (!run.exportDir.isEmpty()) text += tr("<br>exported to %1").arg(run.exportDir.toHtmlEscaped());
    m_headline->setText(text);
}

void ResultsView::showRun(int index) {
    if (index < 0 || index >= runCount()) return;
    const auto& run = m_runs[static_cast<std::size_t>(index)];
    m_tasks->setRowCount(0);
    m_tasksPane->setVisible(run.quantTasks.has_value() || run.quantMmlu.has_value());
    if (run.quantTasks)
        for (const auto& t : run.quantTasks->tasks)
            for (const auto& m : t.metrics) {
                const int r = m_tasks->rowCount();
                m_tasks->insertRow(r);
                const auto err = [](double se) { return se >= 0 ? QStringLiteral(" ± %1").arg(se, 0, 'f', 4) : QString(); };
                const auto fp = metricOf(run.fpTasks, t.task, m.name);
                const ol::TaskMetric* fpMetric = nullptr;
                if (run.fpTasks)
                    for (const auto& f : run.fpTasks->tasks)
                        if (f.task == t.task) fpMetric = f.metric(m.name);
                m_tasks->setItem(r, 0, cell(QString::fromStdString(t.task)));
                m_tasks->setItem(r, 1, cell(QString::fromStdString(m.name)));
                m_tasks->setItem(r, 2, fp ? number(*fp, err(fpMetric ? fpMetric->stderror : -1)) : cell(QStringLiteral("–")));
                m_tasks->setItem(r, 3, number(m.value, err(m.stderror)));
                m_tasks->setItem(r, 4, fp ? number(m.value - *fp) : cell(QStringLiteral("–")));
                m_tasks->setItem(r, 5, cell(QString::number(t.documents)));
            }
    if (run.quantMmlu && run.fpMmlu) {
        auto row = [&](const QString& metric, double fp, double q, std::int64_t n) {
            const int r = m_tasks->rowCount();
            m_tasks->insertRow(r);
            m_tasks->setItem(r, 0, cell(tr("MMLU %1-shot").arg(run.quantMmlu->shots)));
            m_tasks->setItem(r, 1, cell(metric));
            m_tasks->setItem(r, 2, number(fp));
            m_tasks->setItem(r, 3, number(q));
            m_tasks->setItem(r, 4, number(q - fp));
            m_tasks->setItem(r, 5, cell(QString::number(n)));
        };
        row(tr("acc (micro)"), run.fpMmlu->microAccuracy, run.quantMmlu->microAccuracy, run.quantMmlu->questions);
        row(tr("acc (macro)"), run.fpMmlu->macroAccuracy, run.quantMmlu->macroAccuracy, run.quantMmlu->questions);
        for (std::size_t i = 0; i < run.quantMmlu->categories.size() && i < run.fpMmlu->categories.size(); ++i) {
            const auto& c = run.quantMmlu->categories[i];
            row(tr("acc %1").arg(QString::fromStdString(c.category)), run.fpMmlu->categories[i].accuracy, c.accuracy,
                c.questions);
        }
    }
    showReports(run.reports);
}

void ResultsView::showReports(const std::vector<ol::LayerReport>& reports) {
    m_layers->setRowCount(0);
    for (const auto& rep : reports) {
        auto add = [&](const QString& what, const ol::QuantError& before, const ol::QuantError& after, double seconds) {
            const int r = m_layers->rowCount();
            m_layers->insertRow(r);
            m_layers->setItem(r, 0, cell(QString::number(rep.layer)));
            m_layers->setItem(r, 1, cell(what));
            m_layers->setItem(r, 2, cell(formatValue(before.sqnrDb)));
            m_layers->setItem(r, 3, cell(formatValue(after.sqnrDb)));
            m_layers->setItem(r, 4, cell(formatValue(before.mse)));
            m_layers->setItem(r, 5, cell(formatValue(after.mse)));
            m_layers->setItem(r, 6, cell(seconds >= 0 ? QString::number(seconds, 'f', 2) : QString()));
        };
        bool first = true;
        for (const auto& s : rep.sites) {
            add(tr("activation %1").arg(QString::fromLatin1(ol::siteKey(s.site))), s.before, s.after,
                first ? rep.seconds.total() : -1);
            first = false;
        }
        for (const auto& w : rep.weights) add(tr("weight %1").arg(QString::fromStdString(w.module)), w.before, w.after, -1);
    }
}

QString ResultsView::runsCsv() const {
    // Task columns: every task metric any run evaluated, in first-seen order.
    std::vector<std::pair<std::string, std::string>> columns;
    for (const auto& r : m_runs)
        if (r.quantTasks)
            for (const auto& t : r.quantTasks->tasks)
                for (const auto& m : t.metrics)
                    if (std::find(columns.begin(), columns.end(), std::pair(t.task, m.name)) == columns.end())
                        columns.emplace_back(t.task, m.name);
    QString out = QStringLiteral("method,bits,parameters,fp_ppl,quant_ppl,quantize_seconds,export");
    for (const auto& [task, metric] : columns)
        out += QStringLiteral(",%1_%2_fp,%1_%2").arg(QString::fromStdString(task), QString::fromStdString(metric));
    const bool mmlu = std::any_of(m_runs.begin(), m_runs.end(), [](const RunSummary& r) { return r.quantMmlu.has_value(); });
    if (mmlu) out += QStringLiteral(",mmlu_micro_fp,mmlu_micro");
    out += QLatin1Char('\n');
    auto value = [](const std::optional<double>& v) { return v ? QString::number(*v, 'g', 10) : QString(); };
    for (const auto& r : m_runs) {
        out += QStringLiteral("%1,%2,\"%3\",%4,%5,%6,%7")
                   .arg(r.method, r.settings, QString(r.parameters).replace(QLatin1Char('"'), QLatin1String("\"\"")),
                        value(r.fpPpl), value(r.quantPpl))
                   .arg(r.quantizeSeconds)
                   .arg(r.exportDir);
        for (const auto& [task, metric] : columns)
            out += QLatin1Char(',') + value(metricOf(r.fpTasks, task, metric)) + QLatin1Char(',') +
                   value(metricOf(r.quantTasks, task, metric));
        if (mmlu) {
            auto micro = [](const std::optional<ol::MmluResult>& m) {
                return m ? std::optional<double>(m->microAccuracy) : std::optional<double>();
            };
            out += QLatin1Char(',') + value(micro(r.fpMmlu)) + QLatin1Char(',') + value(micro(r.quantMmlu));
        }
        out += QLatin1Char('\n');
    }
    return out;
}

} // namespace olv
