#pragma once
// The workbench's state and the jobs that change it, kept out of the main
// window: the open workspace (model, calibration windows, statistics), the
// previews, and quantize & export runs. Everything long runs as a job; the
// window only arranges views and forwards user actions here.
#include "core/jobs/jobmanager.h"
#include "core/quant/layerpreview.h"
#include "core/workflow/workspace.h"
#include "evaluationchoice.h"
#include "previewlayercache.h"
#include "views/layers/layertreemodel.h"
#include "views/results/resultsview.h"

#include <QCoreApplication>
#include <QObject>
#include <QPointer>
#include <memory>

namespace olv {

class Workbench : public QObject {
    Q_OBJECT
public:
    explicit Workbench(QObject* parent = nullptr);
    ~Workbench() override;
    // Cancels every job, waits for their workers to stop (without running the event loop: their results are
    // dropped), and refuses new ones from then on (the window is closing).
    void shutDown();

    JobManager* jobs() const { return m_jobs; }
    const ol::Workspace* workspace() const { return m_workspace.get(); }
    bool hasWorkspace() const { return m_workspace != nullptr; }
    QString modelLabel() const;

    // Opens a model (empty: the bundled demo model) and calibrates it; `settings` empty text files = bundled text.
    Job* openModel(const QString& modelPath, const QString& tokenizerPath, const ol::CalibrationSettings& settings);
    // The demo: the bundled model with planted outliers (core/workflow/demomodel.h), written to the user's cache
    // folder on first use, then calibrated like any model.
    Job* openPlantedDemo(const ol::CalibrationSettings& settings);
    Job* openSession(const QString& sessionPath);
    Job* saveSession(const QString& sessionPath);
    QString sessionPath() const { return m_sessionPath; }
    bool isQuantizing() const { return m_quantizeJob && !m_quantizeJob->isDone(); }

    // Newest wins: a request cancels the running one.
    Job* requestPreview(int layer, ol::Site site, const QString& method, const nlohmann::json& params,
                        const ol::QuantSettings& settings);
    // The whole pipeline, the chosen evaluations of FP and quantized (perplexity over at most `evalLimit` windows,
    // -1 all; zero-shot tasks), then the export.
    Job* quantizeAndExport(const QString& method, const nlohmann::json& params, const ol::QuantSettings& settings,
                           const QString& exportDir, std::int64_t evalLimit = -1, const EvaluationChoice& evaluation = {});

Q_SIGNALS:
    void workspaceChanged();
    void sessionSaved(const QString& path);
    void previewReady(const ol::LayerPreview& preview);
    void previewFailed(const QString& message);
    void runFinished(const olv::RunSummary& run);
    // While a model calibrates: every site of each layer as soon as that layer is done (staged results).
    void layerCalibrated(const std::vector<olv::SiteSummary>& sites);
    // While Quantize & Export runs: each layer's report as soon as that layer is quantized.
    void layerQuantized(const QString& run, const ol::LayerReport& report);
    void message(const QString& text);

private:
    // Runs `deliver(workbench)` on the GUI thread if the workbench still exists then. Workers reach the
    // workbench only through this: they capture values, never `this`.
    template <class F> static void postToGui(const QPointer<Workbench>& self, F deliver) {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, deliver = std::move(deliver)] {
                if (self) deliver(*self);
            },
            Qt::QueuedConnection);
    }
    // Aborts when called off the GUI thread: everything that installs a job's result must run there.
    void requireGuiThread(const char* where) const;
    void adopt(std::shared_ptr<ol::Workspace> workspace);
    // The calibration's per-layer hook: summarizes on the worker, emits layerCalibrated on the GUI thread.
    ol::LayerCalibrated stagedLayers();

    JobManager* m_jobs;
    std::shared_ptr<ol::Workspace> m_workspace;
    QString m_sessionPath;
    QPointer<Job> m_quantizeJob;
    std::shared_ptr<PreviewLayerCache> m_layerCache = std::make_shared<PreviewLayerCache>();
    bool m_closing = false;
    std::uint64_t m_previewGeneration = 0; // counts preview requests (GUI thread)
};

} // namespace olv
