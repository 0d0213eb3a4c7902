#pragma once
// The Results dock: FP and quantized perplexity of the latest run, its zero-shot
// task table (FP beside quantized), its per-layer error table (activation and
// weight SQNR before/after the transform, seconds), and a comparison of every
// run of the session.
#include "core/eval/mmluresult.h"
#include "core/eval/taskeval.h"
#include "core/quant/layerquantizer.h"

#include <QWidget>
#include <optional>

class QLabel;
class QTableWidget;

namespace olv {

struct RunSummary {
    QString method, settings, parameters; // parameters: compact JSON
    std::optional<double> fpPpl, quantPpl;
    std::int64_t evalWindows = 0;
    double quantizeSeconds = 0, evalSeconds = 0;
    QString exportDir;
    std::vector<ol::LayerReport> reports;
    std::optional<ol::TaskResults> fpTasks, quantTasks; // zero-shot tasks, when evaluated
    std::optional<ol::MmluResult> fpMmlu, quantMmlu;    // MMLU, when evaluated
};

class ResultsView : public QWidget {
    Q_OBJECT
public:
    explicit ResultsView(QWidget* parent = nullptr);
    void addRun(const RunSummary& run);
    // While a run continues: its finished layers' errors in the per-layer table (addRun replaces them).
    void addRunningLayer(const QString& run, const ol::LayerReport& report);
    void clear();
    int runCount() const { return static_cast<int>(m_runs.size()); }
    const RunSummary& run(int i) const { return m_runs[static_cast<std::size_t>(i)]; }
    QString headline() const;
    QTableWidget* layerTable() const { return m_layers; }
    QTableWidget* runTable() const { return m_runTable; }
    QTableWidget* taskTable() const { return m_tasks; }
    // CSV of the run comparison (a FP and a quantized column per task metric when tasks were evaluated).
    QString runsCsv() const;

private:
    void showRun(int index);
    void showReports(const std::vector<ol::LayerReport>& reports);
    QLabel* m_headline;
    QTableWidget* m_layers;
    QTableWidget* m_runTable;
    QTableWidget* m_tasks;
    QLabel* m_tasksTitle;
    QWidget* m_tasksPane = nullptr; // hidden for runs without tasks
    std::vector<RunSummary> m_runs;
    std::vector<ol::LayerReport> m_running; // the running run's finished layers
};

} // namespace olv
