#include "mainwindow.h"

#include "calibrationdialog.h"
#include "core/model/llamamodel.h"
#include "core/model/modelconfig.h"
#include "core/quant/methodregistry.h"
#include "core/quant/methodsupport.h"
#include "core/resources.h"
#include "quantizedialog.h"
#include "views/jobs/joblistwidget.h"
#include "views/layers/layerpanel.h"
#include "views/log/logview.h"
#include "views/outliers/outlierview.h"
#include "views/preview/previewview.h"
#include "views/results/resultsview.h"
#include "views/surface/surfaceview.h"
#include "views/tune/parameterform.h"
#include "workbench.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenuBar>
#include <QMessageBox>
#include <QSaveFile>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QUndoStack>

namespace olv {

namespace {
constexpr int kMaxRecent = 8;
const char* kRecentModels = "recent/models";
const char* kRecentSessions = "recent/sessions";
} // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), m_workbench(new Workbench(this)), m_layers(new LayerPanel), m_outliers(new OutlierView),
      m_form(new ParameterForm), m_preview(new PreviewView), m_surface(new SurfaceView),
      m_jobList(new JobListWidget(m_workbench->jobs())), m_results(new ResultsView), m_log(new LogView),
      m_previewTimer(new QTimer(this)) {
    setWindowTitle(tr("OutlierLab"));
    setObjectName(QStringLiteral("OutlierLabMainWindow"));
    setDockNestingEnabled(true);
    // Fit the screen it opens on — a 1366×768 laptop as well as a 1920×1080 desktop — at most 1600 × 1000,
    // leaving room for the window frame and the desktop's panels.
    const QRect screenArea = screen() ? screen()->availableGeometry() : QRect(0, 0, 1600, 1000);
    resize(std::min(1600, screenArea.width() - 16), std::min(1000, screenArea.height() - 48));
    m_log->captureQtMessages();
    m_form->setMethods(ol::MethodRegistry::instance().methods(), ol::commonQuantParameters());
    buildDocks();
    buildActions();

    m_previewTimer->setSingleShot(true);
    m_previewTimer->setInterval(60); // coalesce bursts of edits (spin box held down) into one request
    connect(m_previewTimer, &QTimer::timeout, this, &MainWindow::runPreview);
    connect(m_form, &ParameterForm::changed, this, &MainWindow::schedulePreview);
    connect(m_layers, &LayerPanel::siteSelected, this, &MainWindow::onSiteSelected);
    connect(m_outliers, &OutlierView::layerClicked, this, [this](int layer) { selectSite(layer, m_site); });
    connect(m_workbench, &Workbench::workspaceChanged, this, &MainWindow::onWorkspaceChanged);
    connect(m_workbench, &Workbench::layerCalibrated, this, &MainWindow::onLayerCalibrated);
    connect(m_workbench, &Workbench::previewReady, m_preview, &PreviewView::setPreview);
    connect(m_workbench, &Workbench::previewReady, m_surface, &SurfaceView::setPreview);
    connect(m_workbench, &Workbench::previewFailed, m_preview, &PreviewView::setError);
    connect(m_workbench, &Workbench::layerQuantized, m_results, &ResultsView::addRunningLayer);
    connect(m_workbench, &Workbench::runFinished, this, [this](const RunSummary& run) {
        m_results->addRun(run);
        dock(QStringLiteral("ResultsDock"))->raise();
        statusBar()->showMessage(
            tr("%1 %2: perplexity %3").arg(run.method, run.settings).arg(run.quantPpl ? *run.quantPpl : 0, 0, 'f', 4));
    });
    connect(m_workbench, &Workbench::message, m_log, &LogView::log);
    connect(m_workbench, &Workbench::sessionSaved, this, [this](const QString& p) { addRecent(kRecentSessions, p); });
    auto* jobs = m_workbench->jobs();
    connect(jobs, &JobManager::failed, this, &MainWindow::showError);
    connect(jobs, &JobManager::jobAdded, this, [this](Job* job) {
        if (!job->isTransient()) m_log->log(tr("started: %1").arg(job->title()));
        updateActions();
    });
    connect(jobs, &JobManager::jobFinished, this, [this](Job* job) {
        if (!job->isTransient() || job->state() == Job::State::Failed)
            m_log->log(QStringLiteral("%1: %2 (%3)")
                           .arg(job->title(), job->message())
                           .arg(QVariant::fromValue(job->state()).toString()));
        updateActions();
    });

    m_defaultState = saveState();
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    m_evaluation.perplexity = settings.value(QStringLiteral("evaluation/perplexity"), true).toBool();
    m_evaluation.tasks = settings.value(QStringLiteral("evaluation/tasks")).toStringList();
    m_evaluation.taskDir = settings.value(QStringLiteral("evaluation/taskDir")).toString();
    m_evaluation.taskLimit = settings.value(QStringLiteral("evaluation/taskLimit"), -1).toLongLong();
    m_evaluation.mmluDir = settings.value(QStringLiteral("evaluation/mmluDir")).toString();
    m_evaluation.mmluShots = settings.value(QStringLiteral("evaluation/mmluShots"), 5).toInt();
    rebuildRecentMenus();
    updateActions();
    statusBar()->showMessage(tr("Open a model (File ▸ Open model) or the demo model to start."));
}

MainWindow::~MainWindow() {
    // No preview request may start a job while the workbench stops its jobs (it blocks until their workers
    // return; their results are dropped).
    m_previewTimer->stop();
    disconnect(m_previewTimer, nullptr, this, nullptr);
    m_workbench->shutDown();
}

QDockWidget* MainWindow::dock(const QString& name) const {
    for (auto* d : m_docks)
        if (d->objectName() == name) return d;
    return nullptr;
}

void MainWindow::buildDocks() {
    auto make = [this](QWidget* w, const QString& title, const QString& name, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name);
        // In a scroll area, a dock can be smaller than its content's minimum size (a 1366×768 screen): it scrolls
        // instead of forcing the window past the screen.
        auto* scroll = new QScrollArea(d);
        scroll->setWidget(w);
        scroll->setWidgetResizable(true);
        scroll->setFrameShape(QFrame::NoFrame);
        d->setWidget(scroll);
        addDockWidget(area, d);
        m_docks << d;
        return d;
    };
    // A dock's title bar shows '&' as it is; its View-menu action needs it doubled.
    auto* layers = make(m_layers, tr("Model & layers"), QStringLiteral("LayersDock"), Qt::LeftDockWidgetArea);
    layers->toggleViewAction()->setText(tr("Model && layers"));
    auto* outliers = make(m_outliers, tr("Outliers"), QStringLiteral("OutliersDock"), Qt::RightDockWidgetArea);
    auto* tune = make(m_form, tr("Tune"), QStringLiteral("TuneDock"), Qt::RightDockWidgetArea);
    auto* preview = make(m_preview, tr("Preview"), QStringLiteral("PreviewDock"), Qt::RightDockWidgetArea);
    auto* surface = make(m_surface, tr("3D surface"), QStringLiteral("SurfaceDock"), Qt::RightDockWidgetArea);
    auto* jobs = make(m_jobList, tr("Jobs"), QStringLiteral("JobsDock"), Qt::BottomDockWidgetArea);
    auto* results = make(m_results, tr("Results"), QStringLiteral("ResultsDock"), Qt::BottomDockWidgetArea);
    auto* log = make(m_log, tr("Log"), QStringLiteral("LogDock"), Qt::BottomDockWidgetArea);
    // Default layout: layers | outliers over preview | tune; jobs, results and log tabbed at the bottom.
    splitDockWidget(outliers, tune, Qt::Horizontal);
    splitDockWidget(outliers, preview, Qt::Vertical);
    tabifyDockWidget(preview, surface); // the same preview in 3D, one tab away
    preview->raise();
    tabifyDockWidget(jobs, results);
    tabifyDockWidget(results, log);
    jobs->raise();
    // Dock sizes in proportion to the window (1600 × 1000: 416 | 880 | 304 wide, outliers 440 over preview and
    // 3D 400, jobs 120), so that a small screen shrinks every dock instead of pushing one off the window.
    const int w = width(), h = height();
    resizeDocks({layers, outliers, tune}, {w * 26 / 100, w * 55 / 100, w * 19 / 100}, Qt::Horizontal);
    resizeDocks({outliers, preview}, {h * 44 / 100, h * 40 / 100}, Qt::Vertical);
    resizeDocks({jobs}, {std::max(90, h * 12 / 100)}, Qt::Vertical);
    setCentralWidget(nullptr);
}

void MainWindow::buildActions() {
    auto* file = menuBar()->addMenu(tr("&File"));
    auto* open = file->addAction(tr("&Open model…"), this, [this] {
        const auto path =
            QFileDialog::getOpenFileName(this, tr("Open model (llama2.c .bin, or config.json / model.safetensors of a "
                                                  "Hugging Face directory)"));
        if (path.isEmpty()) return;
        const QFileInfo fi(path);
        openModel(fi.suffix() == QLatin1String("bin") ? path : fi.absolutePath());
    });
    open->setShortcut(QKeySequence::Open);
    file->addAction(tr("Open &demo model (planted outliers)"), this, [this] { openPlantedDemo(); });
    file->addAction(tr("Open &unmodified demo model"), this, [this] { openModel({}); });
    m_recentModels = file->addMenu(tr("Recent &models"));
    file->addSeparator();
    file->addAction(tr("Open &session…"), this, [this] {
        const auto path = QFileDialog::getOpenFileName(this, tr("Open session"), {}, tr("Sessions (*.h5);;All files (*)"));
        if (!path.isEmpty()) openSession(path);
    });
    m_recentSessions = file->addMenu(tr("Recent s&essions"));
    m_saveSession = file->addAction(tr("&Save session"), this, [this] {
        if (m_workbench->sessionPath().isEmpty())
            m_saveSessionAs->trigger();
        else
            saveSession(m_workbench->sessionPath());
    });
    m_saveSession->setShortcut(QKeySequence::Save);
    m_saveSessionAs = file->addAction(tr("Save session &as…"), this, [this] {
        const auto path =
            QFileDialog::getSaveFileName(this, tr("Save session"), QStringLiteral("session.h5"), tr("Sessions (*.h5)"));
        if (!path.isEmpty()) saveSession(path);
    });
    m_saveSessionAs->setShortcut(QKeySequence::SaveAs);
    file->addAction(tr("Export run comparison as CSV…"), this, [this] {
        const auto path = QFileDialog::getSaveFileName(this, tr("Export runs"), QStringLiteral("runs.csv"), tr("CSV (*.csv)"));
        if (path.isEmpty()) return;
        QSaveFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(m_results->runsCsv().toUtf8()) < 0 || !f.commit())
            showError(tr("Export runs"), tr("could not write %1: %2").arg(path, f.errorString()));
    });
    file->addSeparator();
    auto* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    auto* edit = menuBar()->addMenu(tr("&Edit"));
    auto* undo = m_form->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    auto* redo = m_form->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    edit->addAction(undo);
    edit->addAction(redo);

    auto* run = menuBar()->addMenu(tr("&Run"));
    m_calibrate = run->addAction(tr("&Calibrate…"), this, [this] {
        const auto* ws = m_workbench->workspace();
        if (!ws) return;
        CalibrationDialog dialog(ws->source.data.settings, ws->source.model->config().maxPositions, this);
        if (dialog.exec() == QDialog::Accepted) recalibrate(dialog.settings());
    });
    m_calibrate->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    m_quantize = run->addAction(tr("&Quantize && Export…"), this, [this] {
        QuantizeDialog dialog(suggestExportDir(), m_evaluation, this);
        if (dialog.exec() != QDialog::Accepted) return;
        m_evaluation = dialog.evaluation();
        QSettings s;
        s.setValue(QStringLiteral("evaluation/perplexity"), m_evaluation.perplexity);
        s.setValue(QStringLiteral("evaluation/tasks"), m_evaluation.tasks);
        s.setValue(QStringLiteral("evaluation/taskDir"), m_evaluation.taskDir);
        s.setValue(QStringLiteral("evaluation/taskLimit"), static_cast<qlonglong>(m_evaluation.taskLimit));
        s.setValue(QStringLiteral("evaluation/mmluDir"), m_evaluation.mmluDir);
        s.setValue(QStringLiteral("evaluation/mmluShots"), m_evaluation.mmluShots);
        quantizeAndExport(dialog.exportDir());
    });
    m_quantize->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_quantize->setToolTip(tr("Quantize the whole model with the Tune settings in the background, evaluate FP and quantized "
                              "perplexity and the chosen zero-shot tasks, and write a Hugging Face-style export directory"));
    run->addAction(tr("Cancel all jobs"), m_workbench->jobs(), &JobManager::cancelAll);

    auto* view = menuBar()->addMenu(tr("&View"));
    for (auto* d : m_docks) view->addAction(d->toggleViewAction());
    view->addSeparator();
    view->addAction(tr("&Reset layout"), this, &MainWindow::resetLayout);

    auto* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About OutlierLab"), this, [this] {
        QStringList methods;
        for (const auto& m : ol::MethodRegistry::instance().methods()) methods << QString::fromStdString(m.title).toHtmlEscaped();
        QMessageBox::about(this, tr("About OutlierLab"),
                           tr("<b>OutlierLab %1</b><br>Activation outliers and low-bit quantization for LLaMA-family models."
                              "<br>Methods found: %2.")
                               .arg(QApplication::applicationVersion(), methods.join(QStringLiteral(", "))));
    });

    auto* bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("MainToolBar"));
    bar->addAction(open);
    bar->addAction(m_saveSession);
    bar->addSeparator();
    bar->addAction(undo);
    bar->addAction(redo);
    bar->addSeparator();
    bar->addAction(m_calibrate);
    bar->addAction(m_quantize);
}

void MainWindow::updateActions() {
    const bool has = m_workbench->hasWorkspace();
    const bool quantizing = m_workbench->isQuantizing();
    m_saveSession->setEnabled(has);
    m_calibrate->setEnabled(has);
    m_saveSessionAs->setEnabled(has);
    m_quantize->setEnabled(has && !quantizing);
}

void MainWindow::resetLayout() { restoreState(m_defaultState); }

Job* MainWindow::openModel(const QString& path) {
    m_modelPath = path;
    const bool bundled = path.isEmpty();
    auto settings = ol::defaultCalibrationSettings(bundled);
    if (!bundled) addRecent(kRecentModels, path);
    statusBar()->showMessage(tr("Opening and calibrating %1…").arg(bundled ? tr("the bundled demo model") : path));
    return m_workbench->openModel(path, {}, settings);
}

Job* MainWindow::openPlantedDemo() {
    m_modelPath.clear();
    statusBar()->showMessage(tr("Opening the demo model (stories260K with planted outliers) and calibrating it…"));
    return m_workbench->openPlantedDemo(ol::defaultCalibrationSettings(true));
}

Job* MainWindow::recalibrate(const ol::CalibrationSettings& settings) {
    if (!m_workbench->hasWorkspace()) return nullptr;
    const auto* ws = m_workbench->workspace();
    return m_workbench->openModel(QString::fromStdString(ws->modelPath), QString::fromStdString(ws->tokenizerPath), settings);
}

Job* MainWindow::openSession(const QString& path) {
    addRecent(kRecentSessions, path);
    return m_workbench->openSession(path);
}

Job* MainWindow::saveSession(const QString& path) { return m_workbench->saveSession(path); }

QString MainWindow::suggestExportDir() const {
    const auto settings = m_form->settings();
    const QString base = m_workbench->hasWorkspace() ? QString::fromStdString(m_workbench->workspace()->modelName())
                                                     : QFileInfo(m_modelPath).completeBaseName();
    return QDir::home().filePath(
        QStringLiteral("%1-%2-%3").arg(base, m_form->method(), QString::fromStdString(settings.label())));
}

Job* MainWindow::quantizeAndExport(const QString& exportDir) {
    if (!m_workbench->hasWorkspace()) {
        showError(tr("Quantize & Export"), tr("open and calibrate a model first"));
        return nullptr;
    }
    auto* job = m_workbench->quantizeAndExport(m_form->method(), m_form->methodParameters(), m_form->settings(), exportDir,
                                               m_evalLimit, m_evaluation);
    dock(QStringLiteral("JobsDock"))->raise();
    updateActions();
    return job;
}

void MainWindow::onLayerCalibrated(const std::vector<SiteSummary>& sites) {
    m_staged.insert(m_staged.end(), sites.begin(), sites.end());
    m_layers->model()->setSites(m_staged);
    const int layers = sites.empty() ? 0 : sites.back().layer + 1;
    m_layers->setHeading(tr("<b>calibrating…</b> layer %1 done: its statistics are in the tree; the plots follow when "
                            "every layer is done")
                             .arg(layers - 1));
}

void MainWindow::onWorkspaceChanged() {
    m_staged.clear();
    const auto* ws = m_workbench->workspace();
    statusBar()->showMessage(tr("%1 is calibrated: select a layer input in Model & layers").arg(m_workbench->modelLabel()),
                             15000);
    std::vector<SiteSummary> sites;
    for (std::size_t i = 0; i < ws->sites.size(); ++i) sites.push_back(summarize(ws->sites[i], ws->outliers[i]));
    m_layers->model()->setSites(sites);
    const auto& c = ws->source.model->config();
    const auto& cal = ws->source.data.settings;
    m_layers->setHeading(
        tr("<b>%1</b><br>%2 layers · hidden %3 · %4 heads (%5 KV) · MLP %6<br>calibrated on %7 × %8 tokens, seed %9")
            .arg(m_workbench->modelLabel().toHtmlEscaped())
            .arg(c.numLayers)
            .arg(c.hiddenSize)
            .arg(c.numHeads)
            .arg(c.numKvHeads)
            .arg(c.intermediateSize)
            .arg(cal.nsamples)
            .arg(cal.seqlen)
            .arg(cal.seed));
    setWindowTitle(tr("OutlierLab — %1").arg(m_workbench->modelLabel()));
    updateActions();
    // The model's block size, as the CLI and the batch mode choose it (ol::defaultBlockSize).
    if (m_form->value(QStringLiteral("block_size")).is_number()) {
        const auto block = ol::defaultBlockSize(c);
        if (m_form->value(QStringLiteral("block_size")).get<std::int64_t>() != block) {
            m_form->setDefault(QStringLiteral("block_size"), block);
            m_log->log(tr("block size %1 for this model").arg(block));
        }
    }
    const auto [layer, site] = ws->mostOutlyingSite();
    selectSite(layer, site);
}

void MainWindow::selectSite(int layer, ol::Site site) {
    if (!m_layers->selectSite(layer, site)) onSiteSelected(layer, site);
}

void MainWindow::onSiteSelected(int layer, ol::Site site) {
    const auto* ws = m_workbench->workspace();
    if (!ws) return;
    const auto* stats = ws->statistics(layer, site);
    const auto* report = ws->outlierReport(layer, site);
    if (!stats || !report) return;
    m_layer = layer;
    m_site = site;
    std::vector<SiteSummary> depth;
    for (int l = 0; l < ws->numLayers(); ++l)
        if (auto* s = ws->statistics(l, site)) depth.push_back(summarize(*s, *ws->outlierReport(l, site)));
    m_outliers->setSite(*stats, *report, depth, ws->source.data.settings.seqlen);
    schedulePreview();
}

void MainWindow::schedulePreview() {
    if (!m_workbench->hasWorkspace() || m_layer < 0) return;
    if (!ol::isLinearInput(m_site)) {
        m_preview->clear();
        m_surface->clear();
        return;
    }
    m_preview->setPending(
        tr("%1 on layer %2 %3").arg(m_form->method()).arg(m_layer).arg(QString::fromLatin1(ol::siteKey(m_site))));
    m_previewTimer->start();
}

void MainWindow::runPreview() {
    m_workbench->requestPreview(m_layer, m_site, m_form->method(), m_form->methodParameters(), m_form->settings());
}

void MainWindow::showError(const QString& title, const QString& message) {
    m_lastError = title + QStringLiteral(": ") + message;
    m_log->log(tr("error: %1").arg(m_lastError));
    statusBar()->showMessage(m_lastError);
    // Window-modal and non-blocking: a job that fails while the user works does not freeze anything.
    auto* box = new QMessageBox(QMessageBox::Critical, title, message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName(QStringLiteral("ErrorDialog"));
    box->open();
}

void MainWindow::addRecent(const QString& key, const QString& path) {
    QSettings settings;
    auto list = settings.value(key).toStringList();
    const auto absolute = QFileInfo(path).absoluteFilePath();
    list.removeAll(absolute);
    list.prepend(absolute);
    while (list.size() > kMaxRecent) list.removeLast();
    settings.setValue(key, list);
    rebuildRecentMenus();
}

void MainWindow::rebuildRecentMenus() {
    QSettings settings;
    auto fill = [&](QMenu* menu, const char* key, bool models) {
        menu->clear();
        const auto list = settings.value(QLatin1String(key)).toStringList();
        for (const auto& path : list)
            menu->addAction(path, this, [this, path, models] { models ? (void)openModel(path) : (void)openSession(path); });
        menu->setEnabled(!list.isEmpty());
    };
    fill(m_recentModels, kRecentModels, true);
    fill(m_recentSessions, kRecentSessions, false);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (m_workbench->jobs()->anyRunning()) {
        const auto answer = QMessageBox::question(this, tr("Jobs running"), tr("Jobs are still running. Cancel them and quit?"));
        if (answer != QMessageBox::Yes) return event->ignore();
        m_workbench->jobs()->cancelAll();
    }
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    event->accept();
}

} // namespace olv
