#pragma once
// The workbench window: docks (stable object names, a default layout and
// Reset layout), menus with standard shortcuts, recent models and sessions,
// geometry and dock layout kept in QSettings. It only arranges views and
// forwards actions to the Workbench.
#include "core/calib/calibrationdata.h"
#include "core/model/activationhook.h"
#include "evaluationchoice.h"
#include "views/layers/layertreemodel.h"

#include <QMainWindow>
#include <QPointer>
#include <QStringList>

class QAction;
class QDockWidget;
class QMenu;
class QTimer;

namespace olv {

class Workbench;
class LayerPanel;
class OutlierView;
class ParameterForm;
class PreviewView;
class SurfaceView;
class JobListWidget;
class ResultsView;
class LogView;
class Job;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    Workbench* workbench() const { return m_workbench; }
    LayerPanel* layerPanel() const { return m_layers; }
    OutlierView* outlierView() const { return m_outliers; }
    ParameterForm* parameterForm() const { return m_form; }
    PreviewView* previewView() const { return m_preview; }
    SurfaceView* surfaceView() const { return m_surface; }
    JobListWidget* jobList() const { return m_jobList; }
    ResultsView* resultsView() const { return m_results; }
    LogView* logView() const { return m_log; }
    QDockWidget* dock(const QString& objectName) const;

    // Actions a user triggers from menus; tests call them directly (no file dialogs).
    Job* openModel(const QString& path); // empty: the bundled demo model, unmodified
    Job* openPlantedDemo();              // the bundled demo model with planted outliers (the default start)
    // Calibrates the open model again with other windows or text.
    Job* recalibrate(const ol::CalibrationSettings& settings);
    Job* openSession(const QString& path);
    Job* saveSession(const QString& path);
    Job* quantizeAndExport(const QString& exportDir);
    void selectSite(int layer, ol::Site site);
    void resetLayout();
    // Windows evaluated by Quantize & Export (-1: all); the tests keep it short.
    void setEvalLimit(std::int64_t windows) { m_evalLimit = windows; }
    // What Quantize & Export evaluates (the dialog's choice, remembered across sessions).
    void setEvaluation(const EvaluationChoice& evaluation) { m_evaluation = evaluation; }
    const EvaluationChoice& evaluation() const { return m_evaluation; }
    QString lastError() const { return m_lastError; }
    int selectedLayer() const { return m_layer; }
    ol::Site selectedSite() const { return m_site; }

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildDocks();
    void buildActions();
    void updateActions();
    void onWorkspaceChanged();
    void onLayerCalibrated(const std::vector<SiteSummary>& sites);
    void onSiteSelected(int layer, ol::Site site);
    void schedulePreview();
    void runPreview();
    void showError(const QString& title, const QString& message);
    void addRecent(const QString& key, const QString& path);
    void rebuildRecentMenus();
    QString suggestExportDir() const;

    Workbench* m_workbench;
    LayerPanel* m_layers;
    OutlierView* m_outliers;
    ParameterForm* m_form;
    PreviewView* m_preview;
    SurfaceView* m_surface;
    JobListWidget* m_jobList;
    ResultsView* m_results;
    LogView* m_log;
    QList<QDockWidget*> m_docks;
    QByteArray m_defaultState;
    QMenu* m_recentModels = nullptr;
    QMenu* m_recentSessions = nullptr;
    QAction* m_saveSession = nullptr;
    QAction* m_saveSessionAs = nullptr;
    QAction* m_quantize = nullptr;
    QAction* m_calibrate = nullptr;
    QTimer* m_previewTimer;
    int m_layer = -1;
    ol::Site m_site = ol::Site::DownInput;
    std::int64_t m_evalLimit = -1;
    std::vector<SiteSummary> m_staged; // sites of the layers calibrated so far (staged results)
    EvaluationChoice m_evaluation;
    QString m_lastError;
    QString m_modelPath;
};

} // namespace olv
