#include "workbench.h"

#include "core/workflow/demomodel.h"

#include "core/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/layerweights.h"
#include "core/model/llamamodel.h"
#include "core/quant/method.h"
#include "core/quant/methodregistry.h"

#include <QFileInfo>
#include <QStandardPaths>
#include <QThread>

namespace olv {

Workbench::Workbench(QObject* parent) : QObject(parent), m_jobs(new JobManager(this)) {}

Workbench::~Workbench() { shutDown(); }

void Workbench::shutDown() {
    m_closing = true;
    m_jobs->stopAll();
}

void Workbench::requireGuiThread(const char* where) const {
    if (QThread::currentThread() != thread()) qFatal("Workbench::%s called off the GUI thread", where);
}

QString Workbench::modelLabel() const {
    if (!m_workspace) return tr("no model");
    const auto& ck = *m_workspace->source.bundle.checkpoint;
    if (QFileInfo(QString::fromStdString(ck.path())).fileName() == QLatin1String(ol::kPlantedDemoFolder))
        return tr("demo: stories260K with planted outliers (same function; File ▸ Open unmodified demo model)");
    return QString::fromStdString(ck.path().empty() ? std::string("bundled demo model") : ck.path());
}

ol::LayerCalibrated Workbench::stagedLayers() {
    return [self = QPointer<Workbench>(this)](const std::vector<ol::SiteStatistics>& sites,
                                              const std::vector<ol::OutlierReport>& reports) {
        std::vector<SiteSummary> summaries;
        for (std::size_t i = 0; i < sites.size(); ++i) summaries.push_back(summarize(sites[i], reports[i]));
        postToGui(self, [summaries](Workbench& wb) { Q_EMIT wb.layerCalibrated(summaries); });
    };
}

Job* Workbench::openPlantedDemo(const ol::CalibrationSettings& given) {
    auto settings = given;
    if (settings.textFiles.empty()) settings.textFiles = ol::defaultCalibrationSettings(true).textFiles;
    const auto cache = QStandardPaths::writableLocation(QStandardPaths::CacheLocation).toStdString();
    Q_EMIT message(tr("Open the demo model with planted outliers: %1 windows of %2 tokens, seed %3")
                       .arg(settings.nsamples)
                       .arg(settings.seqlen)
                       .arg(settings.seed));
    return m_jobs->start(
        tr("Open and calibrate the demo model (planted outliers)"),
        [self = QPointer<Workbench>(this), staged = stagedLayers(), cache, settings](ol::Progress& p) -> std::function<void()> {
            const auto dir = ol::plantedDemoModel(cache, &p);
            auto ws = ol::calibrateWorkspace(dir, "", settings, &p, staged);
            return [self, ws] {
                if (!self) return;
                self->m_sessionPath.clear();
                self->adopt(ws);
            };
        });
}

void Workbench::adopt(std::shared_ptr<ol::Workspace> workspace) {
    requireGuiThread("adopt");
    m_layerCache->clear();
    m_workspace = std::move(workspace);
    Q_EMIT workspaceChanged();
}

Job* Workbench::openModel(const QString& modelPath, const QString& tokenizerPath, const ol::CalibrationSettings& given) {
    auto settings = given;
    if (settings.textFiles.empty()) settings.textFiles = ol::defaultCalibrationSettings(true).textFiles;
    const auto model = modelPath.toStdString(), tokenizer = tokenizerPath.toStdString();
    const QString title =
        tr("Open and calibrate %1").arg(modelPath.isEmpty() ? tr("demo model") : QFileInfo(modelPath).fileName());
    Q_EMIT message(title +
                   tr(": %1 windows of %2 tokens, seed %3").arg(settings.nsamples).arg(settings.seqlen).arg(settings.seed));
    return m_jobs->start(
        title,
        [self = QPointer<Workbench>(this), staged = stagedLayers(), model, tokenizer,
         settings](ol::Progress& p) -> std::function<void()> {
            auto ws = ol::calibrateWorkspace(model, tokenizer, settings, &p, staged);
            return [self, ws] {
                if (!self) return;
                self->m_sessionPath.clear();
                self->adopt(ws);
                Q_EMIT self->message(
                    tr("calibrated %1 layers in %2 s").arg(ws->numLayers()).arg(ws->calibrationSeconds, 0, 'f', 1));
            };
        });
}

Job* Workbench::openSession(const QString& sessionPath) {
    const auto path = sessionPath.toStdString();
    return m_jobs->start(tr("Open session %1").arg(QFileInfo(sessionPath).fileName()),
                         [self = QPointer<Workbench>(this), path, sessionPath](ol::Progress& p) -> std::function<void()> {
                             auto ws = ol::openSessionWorkspace(path, &p);
                             return [self, ws, sessionPath] {
                                 if (!self) return;
                                 self->m_sessionPath = sessionPath;
                                 self->adopt(ws);
                                 Q_EMIT self->message(tr("opened session %1").arg(sessionPath));
                             };
                         });
}

Job* Workbench::saveSession(const QString& sessionPath) {
    if (!m_workspace) return nullptr;
    auto ws = m_workspace;
    const auto path = sessionPath.toStdString();
    return m_jobs->start(tr("Save session %1").arg(QFileInfo(sessionPath).fileName()),
                         [self = QPointer<Workbench>(this), ws, path, sessionPath](ol::Progress& p) -> std::function<void()> {
                             p.report(0, "writing " + path);
                             ol::saveWorkspaceSession(*ws, path);
                             return [self, sessionPath] {
                                 if (!self) return;
                                 self->requireGuiThread("saveSession");
                                 self->m_sessionPath = sessionPath;
                                 Q_EMIT self->sessionSaved(sessionPath);
                                 Q_EMIT self->message(tr("saved session %1").arg(sessionPath));
                             };
                         });
}

Job* Workbench::requestPreview(int layer, ol::Site site, const QString& method, const nlohmann::json& params,
                               const ol::QuantSettings& settings) {
    if (m_closing || !m_workspace || !ol::isLinearInput(site)) return nullptr;
    auto ws = m_workspace;
    const auto name = method.toStdString();
    const QString title = tr("Preview %1 on layer %2 %3").arg(method).arg(layer).arg(QString::fromLatin1(ol::siteKey(site)));
    const auto generation = ++m_previewGeneration; // GUI thread only: a first stage shows only if still the newest
    return m_jobs->startPreview(
        title,
        [self = QPointer<Workbench>(this), cache = m_layerCache, ws, layer, site, name, params, settings,
         generation](ol::Progress& p) -> std::function<void()> {
            try {
                const auto* stats = ws->statistics(layer, site);
                if (!stats) throw ol::UsageError("no statistics for layer " + std::to_string(layer) + " " + ol::siteKey(site));
                p.report(0.1, "loading layer " + std::to_string(layer));
                auto cached = cache->layer(ws, layer);
                auto methodObject = ol::MethodRegistry::instance().create(name, params);
                ol::PreviewInput in;
                in.layer = layer;
                in.site = site;
                in.sample = stats->tile;
                in.config = &ws->source.model->config();
                in.weights = &cached->weights;
                in.probe = &cached->probe;
                in.cache = cached->stages.get(); // the first stage fills it, the full preview reuses it
                in.actScales = ws->source.actScales.at(static_cast<std::size_t>(layer));
                in.settings = settings;
                in.seed = ws->source.data.settings.seed;
                if (methodObject->searchesPerSite()) {
                    // Staged: prepare()'s part (smoothing) in a fraction of the time, the searched transform after.
                    p.report(0.2, "first stage: smoothing");
                    auto first = in;
                    first.firstStage = true;
                    auto quick = ol::computeLayerPreview(*methodObject, first, &p);
                    postToGui(self, [quick, generation](Workbench& wb) {
                        if (generation == wb.m_previewGeneration) Q_EMIT wb.previewReady(quick);
                    });
                }
                p.report(0.3, "computing the transform");
                auto preview = ol::computeLayerPreview(*methodObject, in, &p);
                return [self, preview] {
                    if (self) Q_EMIT self->previewReady(preview);
                };
            } catch (const ol::Cancelled&) {
                throw;
            } catch (const std::exception& e) {
                const QString message = QString::fromStdString(ol::renderParameters(e.what(), ol::ParameterStyle::Name));
                return [self, message] {
                    if (self) Q_EMIT self->previewFailed(message);
                };
            }
        });
}

Job* Workbench::quantizeAndExport(const QString& method, const nlohmann::json& params, const ol::QuantSettings& settings,
                                  const QString& exportDir, std::int64_t evalLimit, const EvaluationChoice& evaluation) {
    if (!m_workspace) return nullptr;
    auto ws = m_workspace;
    ol::QuantizeRequest request;
    request.method = method.toStdString();
    request.methodParams = params;
    request.pipeline.settings = settings;
    request.pipeline.seed = ws->source.data.settings.seed;
    request.evalPpl = evaluation.perplexity;
    request.evalLimit = evalLimit;
    for (const auto& t : evaluation.tasks) request.tasks.push_back(t.toStdString());
    request.taskOptions.taskDir = evaluation.taskDir.toStdString();
    request.taskOptions.limit = evaluation.taskLimit;
    request.mmluDataDir = evaluation.mmluDir.toStdString();
    request.mmluOptions.shots = evaluation.mmluShots;
    request.exportDir = exportDir.toStdString();
    const QString title = tr("Quantize & export %1 %2").arg(method, QString::fromStdString(settings.label()));
    Q_EMIT message(title + tr(" → %1").arg(exportDir));
    const QString run = QStringLiteral("%1 %2").arg(method, QString::fromStdString(settings.label()));
    m_quantizeJob =
        m_jobs->start(title, [self = QPointer<Workbench>(this), ws, request, run](ol::Progress& p) -> std::function<void()> {
            auto staged = [self, run](const ol::LayerReport& report) {
                postToGui(self, [run, report](Workbench& wb) { Q_EMIT wb.layerQuantized(run, report); });
            };
            auto outcome = ol::runQuantizeJob(ws->source, request, &p, staged);
            RunSummary run;
            run.method = QString::fromStdString(request.method);
            run.settings = QString::fromStdString(request.pipeline.settings.label());
            run.parameters = QString::fromStdString(outcome.result.manifest.value("parameters", nlohmann::json::object()).dump());
            run.fpPpl = outcome.fpPpl;
            run.quantPpl = outcome.quantPpl;
            run.evalWindows = outcome.evalWindows;
            run.quantizeSeconds = outcome.quantizeSeconds;
            run.evalSeconds = outcome.evalSeconds;
            run.fpTasks = outcome.fpTasks;
            run.quantTasks = outcome.quantTasks;
            run.fpMmlu = outcome.fpMmlu;
            run.quantMmlu = outcome.quantMmlu;
            run.exportDir = QString::fromStdString(request.exportDir);
            run.reports = outcome.result.reports;
            return [self, run] {
                if (!self) return;
                self->requireGuiThread("quantizeAndExport");
                Q_EMIT self->runFinished(run);
                Q_EMIT self->message(tr("%1 %2: perplexity %3 (FP %4)")
                                         .arg(run.method, run.settings)
                                         .arg(run.quantPpl ? *run.quantPpl : 0, 0, 'f', 4)
                                         .arg(run.fpPpl ? *run.fpPpl : 0, 0, 'f', 4));
            };
        });
    return m_quantizeJob;
}

} // namespace olv
