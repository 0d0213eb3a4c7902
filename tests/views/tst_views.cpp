// Each view on its own with known data: the layer tree under
// QAbstractItemModelTester and its filter, the outlier plots marking exactly
// the planted channels of the planted-outlier model, the parameter form
// (metadata, ranges, undo/redo) driving the preview's numbers, the job list,
// plot export. Screenshots of each view go to the build directory.
#include "core/calib/outliers.h"
#include "core/jobs/jobmanager.h"
#include "core/model/layerweights.h"
#include "core/model/llamamodel.h"
#include "core/quant/layerpreview.h"
#include "core/quant/method.h"
#include "core/quant/methodregistry.h"
#include "core/workflow/workspace.h"
#include "plantedmodel.h"
#include "screenshot.h"
#include "views/jobs/joblistwidget.h"
#include "views/layers/layerpanel.h"
#include "views/layers/layertreemodel.h"
#include "views/outliers/outlierview.h"
#include "views/plots/channelplot.h"
#include "views/plots/depthplot.h"
#include "views/plots/heatmapplot.h"
#include "views/plots/seriesplot.h"
#include "views/preview/previewview.h"
#include "views/results/resultsview.h"
#include "views/tune/parameterform.h"
#include <QPointer>

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QLineEdit>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QTreeView>
#include <QUndoStack>
#include <thread>

using namespace olv;

class TestViews : public QObject {
    Q_OBJECT
    std::shared_ptr<ol::Workspace> m_ws;

    std::vector<SiteSummary> summaries() const {
        std::vector<SiteSummary> out;
        for (std::size_t i = 0; i < m_ws->sites.size(); ++i) out.push_back(summarize(m_ws->sites[i], m_ws->outliers[i]));
        return out;
    }
    ol::LayerPreview preview(const ParameterForm& form) {
        static const auto weights = m_ws->source.model->layer(2);
        ol::PreviewInput in;
        in.layer = 2;
        in.site = ol::Site::DownInput;
        in.sample = m_ws->statistics(2, in.site)->tile;
        in.config = &m_ws->source.model->config();
        in.weights = &weights;
        in.actScales = m_ws->source.actScales[2];
        in.settings = form.settings();
        auto m = ol::MethodRegistry::instance().create(form.method().toStdString(), form.methodParameters());
        return ol::computeLayerPreview(*m, in);
    }

private Q_SLOTS:
    void initTestCase() {
        QString error;
        const auto dir = plantedModelDir(QStringLiteral(OL_TEST_OUTPUT_DIR), &error);
        QVERIFY2(!dir.isEmpty(), qPrintable(error));
        // 32 x 256 as the CLI's planted-outlier test (tests/app/tst_cli_outliers.cpp).
        m_ws = ol::calibrateWorkspace(dir.toStdString(), {}, ol::defaultCalibrationSettings(true), nullptr);
        QCOMPARE(m_ws->numLayers(), 5);
    }

    void layerTreeModelPassesTheTester() {
        LayerTreeModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setSites(summaries());
        QCOMPARE(model.rowCount(), 5);
        QCOMPARE(model.rowCount(model.index(0, 0)), 7); // four linear inputs and Q/K/V
        const auto down2 = model.indexOf(2, ol::Site::DownInput);
        QVERIFY(down2.isValid());
        QCOMPARE(down2.data().toString(), QStringLiteral("down_proj input"));
        QCOMPARE(down2.siblingAtColumn(LayerTreeModel::Massive).data().toInt() > 0, true);
        QCOMPARE(model.indexOf(1, ol::Site::AttnInput).siblingAtColumn(LayerTreeModel::Normal).data().toInt(), 1);
        QCOMPARE(model.indexOf(3, ol::Site::MlpInput).siblingAtColumn(LayerTreeModel::Normal).data().toInt(), 1);
        QCOMPARE(model.indexOf(4, ol::Site::DownInput).siblingAtColumn(LayerTreeModel::Massive).data().toInt(), 0);
        model.clear();
        QCOMPARE(model.rowCount(), 0);
    }

    void layerPanelFiltersAndSelects() {
        LayerPanel panel;
        panel.resize(420, 600);
        panel.model()->setSites(summaries());
        QSignalSpy spy(&panel, &LayerPanel::siteSelected);
        panel.filterEdit()->setText(QStringLiteral("down_proj"));
        auto* view = panel.view();
        QCOMPARE(view->model()->rowCount(), 5);
        for (int l = 0; l < 5; ++l) QCOMPARE(view->model()->rowCount(view->model()->index(l, 0)), 1);
        QVERIFY(panel.selectSite(2, ol::Site::DownInput));
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.at(0).at(0).toInt(), 2);
        QCOMPARE(spy.at(0).at(1).value<ol::Site>(), ol::Site::DownInput);
        panel.filterEdit()->clear();
        saveScreenshot(&panel, QStringLiteral("layer-panel"));
    }

    void outlierPlotsMarkExactlyThePlantedChannels() {
        struct Expect {
            int layer;
            ol::Site site;
            std::vector<std::int64_t> massive, normal;
        };
        const std::vector<Expect> planted = {{0, ol::Site::DownInput, {7}, {}},
                                             {2, ol::Site::DownInput, {100}, {}},
                                             {1, ol::Site::AttnInput, {}, {5}},
                                             {3, ol::Site::MlpInput, {}, {30}},
                                             {4, ol::Site::DownInput, {}, {}}};
        OutlierView view;
        view.resize(1200, 800);
        for (const auto& e : planted) {
            std::vector<SiteSummary> depth;
            for (int l = 0; l < 5; ++l) depth.push_back(summarize(*m_ws->statistics(l, e.site), *m_ws->outlierReport(l, e.site)));
            view.setSite(*m_ws->statistics(e.layer, e.site), *m_ws->outlierReport(e.layer, e.site), depth, 256);
            QCOMPARE(view.channelPlot()->markedMassiveChannels(), e.massive);
            QCOMPARE(view.channelPlot()->markedNormalChannels(), e.normal);
        }
        // Layer 2 down_proj input: the heat map holds the tile, the hover names the exact cell.
        std::vector<SiteSummary> depth;
        for (int l = 0; l < 5; ++l)
            depth.push_back(summarize(*m_ws->statistics(l, ol::Site::DownInput), *m_ws->outlierReport(l, ol::Site::DownInput)));
        const auto& s = *m_ws->statistics(2, ol::Site::DownInput);
        view.setSite(s, *m_ws->outlierReport(2, ol::Site::DownInput), depth, 256);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        auto* heat = view.heatmapPlot();
        QCOMPARE(heat->tokens(), 256);
        QCOMPARE(heat->channels(), 172);
        heat->replot();
        const QPoint px(static_cast<int>(heat->xAxis->coordToPixel(100)), static_cast<int>(heat->yAxis->coordToPixel(3)));
        const float expected = s.tile[3][100].item<float>();
        QVERIFY2(heat->hoverTextAt(px).startsWith(QStringLiteral("token 3, channel 100: ")), qPrintable(heat->hoverTextAt(px)));
        QVERIFY(heat->hoverTextAt(px).contains(QString::number(expected, 'g', 4)));
        // The depth overview: a click on layer 4 asks for layer 4.
        QSignalSpy clicked(&view, &OutlierView::layerClicked);
        auto* depthPlot = view.depthPlot();
        depthPlot->replot();
        const QPoint at(static_cast<int>(depthPlot->xAxis->coordToPixel(4)), depthPlot->axisRect()->center().y());
        QTest::mouseClick(depthPlot, Qt::LeftButton, {}, at);
        QCOMPARE(clicked.count(), 1);
        QCOMPARE(clicked.at(0).at(0).toInt(), 4);
        QVERIFY(view.summaryText().contains(QStringLiteral("channel 100")));
        saveScreenshot(&view, QStringLiteral("outliers-layer2-down"));
    }

    void plotsExportPictureAndData() {
        ChannelPlot plot;
        plot.resize(600, 400);
        const auto& s = *m_ws->statistics(2, ol::Site::DownInput);
        plot.setData(s, *m_ws->outlierReport(2, ol::Site::DownInput), {});
        const QString dir = QStringLiteral(OL_TEST_OUTPUT_DIR "/export");
        QDir(dir).removeRecursively();
        QDir().mkpath(dir);
        for (const auto* ext : {"png", "svg", "pdf"}) {
            const QString path = dir + QStringLiteral("/channels.") + QLatin1String(ext);
            QString error;
            QVERIFY2(plot.saveImage(path, &error), qPrintable(error));
            QVERIFY(QFileInfo(path).size() > 1000);
            QVERIFY(!QFile::exists(path + QStringLiteral(".part")));
        }
        QVERIFY(!plot.saveImage(dir + QStringLiteral("/channels.bmpx")));
        QVERIFY(plot.saveCsv(dir + QStringLiteral("/channels.csv")));
        QFile csv(dir + QStringLiteral("/channels.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const auto lines = QString::fromUtf8(csv.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 173);
        QVERIFY(lines[101].startsWith(QStringLiteral("100,")) && lines[101].endsWith(QStringLiteral(",massive")));
        QVERIFY(!plot.saveCsv(QStringLiteral("/nonexistent-dir/x.csv")));
    }

    void plotsFollowThePalette() {
        ChannelPlot plot;
        plot.resize(400, 300);
        QPalette dark;
        dark.setColor(QPalette::Window, QColor(30, 30, 30));
        dark.setColor(QPalette::Base, QColor(20, 20, 20));
        dark.setColor(QPalette::WindowText, QColor(230, 230, 230));
        plot.setPalette(dark);
        QCOMPARE(plot.xAxis->tickLabelColor(), QColor(230, 230, 230));
        QCOMPARE(plot.axisRect()->backgroundBrush().color(), QColor(20, 20, 20));
        const QImage image = plot.toPixmap(400, 300).toImage();
        QCOMPARE(image.pixelColor(2, 2), QColor(30, 30, 30)); // the margin is the window colour
    }

    void parameterFormFollowsTheMetadataAndUndoes() {
        ParameterForm form;
        form.setMethods(ol::MethodRegistry::instance().methods(), ol::commonQuantParameters());
        QCOMPARE(form.method(), QStringLiteral("duquant"));
        auto* block = qobject_cast<QSpinBox*>(form.editor(QStringLiteral("block_size")));
        QVERIFY(block);
        QCOMPARE(block->value(), 128);
        QCOMPARE(block->minimum(), 1);
        // The GUI speaks of its own controls, not of command-line flags.
        QVERIFY2(block->toolTip().contains(QStringLiteral("block")) && !block->toolTip().contains(QStringLiteral("--")),
                 qPrintable(block->toolTip()));
        // A minimum that means something says so instead of showing -1 or 0.
        auto* kv = qobject_cast<QSpinBox*>(form.editor(QStringLiteral("kv_bits")));
        QVERIFY(kv);
        QCOMPARE(kv->value(), -1);
        QCOMPARE(kv->text(), QStringLiteral("same as activations"));
        auto* group = qobject_cast<QSpinBox*>(form.editor(QStringLiteral("group_size")));
        QVERIFY(group);
        QCOMPARE(group->text(), QStringLiteral("per output channel"));
        QSignalSpy changed(&form, &ParameterForm::changed);
        block->setValue(8); // as a user would
        QCOMPARE(form.methodParameters()["block_size"].get<int>(), 8);
        QVERIFY(form.setValue(QStringLiteral("max_rotation_step"), 32));
        QVERIFY(form.setValue(QStringLiteral("abits"), 6));
        QVERIFY(!form.setValue(QStringLiteral("abits"), 99)); // out of the metadata's range
        QVERIFY(!form.setValue(QStringLiteral("no_such_flag"), 1));
        QCOMPARE(form.settings().abits, 6);
        QCOMPARE(changed.count(), 3);
        form.undoStack()->undo();
        QCOMPARE(form.settings().abits, 4);
        form.undoStack()->undo();
        QCOMPARE(form.methodParameters()["max_rotation_step"].get<int>(), 256);
        form.undoStack()->redo();
        QCOMPARE(form.methodParameters()["max_rotation_step"].get<int>(), 32);
        // Switching method is undoable too, and values are kept per method.
        form.setMethod(QStringLiteral("rtn"));
        QCOMPARE(form.method(), QStringLiteral("rtn"));
        QVERIFY(form.editor(QStringLiteral("block_size")) == nullptr);
        form.undoStack()->undo();
        QCOMPARE(form.method(), QStringLiteral("duquant"));
        QCOMPARE(qobject_cast<QSpinBox*>(form.editor(QStringLiteral("block_size")))->value(), 8);
        form.resize(360, 700);
        saveScreenshot(&form, QStringLiteral("tune-form"));
    }

    void changingAParameterChangesThePreviewNumbers() {
        ParameterForm form;
        form.setMethods(ol::MethodRegistry::instance().methods(), ol::commonQuantParameters());
        QVERIFY(form.setValue(QStringLiteral("block_size"), 4));
        PreviewView view;
        view.resize(1100, 650);
        view.setPreview(preview(form));
        const auto sqnr4 = view.number(QStringLiteral("activation SQNR (dB)"), 1);
        const auto before = view.number(QStringLiteral("activation SQNR (dB)"), 0);
        QVERIFY(!sqnr4.isEmpty() && sqnr4 != QStringLiteral("–"));
        QCOMPARE(view.channelPlot()->seriesCount(), 2);
        QCOMPARE(view.tokenPlot()->seriesCount(), 4);
        QCOMPARE(view.histogramPlot()->seriesCount(), 2);
        saveScreenshot(&view, QStringLiteral("preview-duquant-bs4"));
        QVERIFY(form.setValue(QStringLiteral("block_size"), 2));
        QVERIFY(form.setValue(QStringLiteral("max_rotation_step"), 4));
        view.setPreview(preview(form));
        QVERIFY(view.number(QStringLiteral("activation SQNR (dB)"), 1) != sqnr4);
        QCOMPARE(view.number(QStringLiteral("activation SQNR (dB)"), 0), before); // the FP side does not move
        QVERIFY(form.setValue(QStringLiteral("abits"), 8));
        view.setPreview(preview(form));
        QVERIFY(view.number(QStringLiteral("activation SQNR (dB)"), 0) != before); // 8 bits: less error before too
    }

    void newestPreviewWins() {
        JobManager jobs;
        JobListWidget list(&jobs);
        std::atomic<int> started{0};
        QStringList installed;
        auto slow = [&](QString name, int ms) {
            return [&, name, ms](ol::Progress& p) -> std::function<void()> {
                ++started;
                for (int i = 0; i < ms / 10; ++i) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(10));
                    p.checkCancelled();
                }
                return [&installed, name] { installed << name; };
            };
        };
        QPointer<Job> first = jobs.startPreview(QStringLiteral("first"), slow(QStringLiteral("first"), 2000));
        Job::State firstState = Job::State::Running;
        connect(first, &Job::finished, this, [&] { firstState = first->state(); });
        QTRY_COMPARE(started.load(), 1);
        auto* second = jobs.startPreview(QStringLiteral("second"), slow(QStringLiteral("second"), 50));
        QVERIFY(jobs.waitForIdle(10000));
        QCOMPARE(firstState, Job::State::Cancelled);
        QTRY_VERIFY(first.isNull()); // replaced and stopped: deleted
        QCOMPARE(second->state(), Job::State::Finished);
        QCOMPARE(installed, QStringList{QStringLiteral("second")});
        QCOMPARE(list.rowCount(), 1); // previews share one row
        QCOMPARE(jobs.jobs().size(), 1);
        // A preview per keystroke for a long session: the list stays bounded.
        for (int i = 0; i < 200; ++i)
            jobs.startPreview(QStringLiteral("p%1").arg(i), [](ol::Progress&) -> std::function<void()> { return {}; });
        QVERIFY(jobs.waitForIdle(10000));
        QTRY_COMPARE(jobs.jobs().size(), 1);
        QCOMPARE(list.rowCount(), 1);
        // A long job: listed on its own row, cancellable, and a failure carries the message.
        auto* failing = jobs.start(QStringLiteral("failing"), [](ol::Progress&) -> std::function<void()> {
            throw std::runtime_error("model.safetensors: tensor model.norm.weight is truncated");
        });
        QSignalSpy failed(&jobs, &JobManager::failed);
        QVERIFY(jobs.waitForIdle(10000));
        QCOMPARE(failing->state(), Job::State::Failed);
        QCOMPARE(failed.count(), 1);
        QVERIFY(failed.at(0).at(1).toString().contains(QStringLiteral("truncated")));
        QCOMPARE(list.rowCount(), 2);
        auto* cancelled = jobs.start(QStringLiteral("long"), slow(QStringLiteral("long"), 5000));
        QTRY_COMPARE(started.load(), 3);
        cancelled->cancel();
        QVERIFY(jobs.waitForIdle(10000));
        QCOMPARE(cancelled->state(), Job::State::Cancelled);
        QVERIFY(!installed.contains(QStringLiteral("long")));
        list.resize(700, 160);
        saveScreenshot(&list, QStringLiteral("jobs"));
    }

    void resultsCompareRuns() {
        ResultsView view;
        RunSummary a;
        a.method = QStringLiteral("rtn");
        a.settings = QStringLiteral("W4A4KV4");
        a.fpPpl = 3.123063;
        a.quantPpl = 65.84;
        ol::LayerReport rep;
        rep.layer = 0;
        rep.sites.push_back({ol::Site::DownInput, {1.0, 10.0, 2.0}, {0.5, 13.0, 1.0}});
        rep.weights.push_back({"mlp.down_proj", {0.1, 20.0, 0.3}, {0.1, 20.0, 0.3}});
        a.reports = {rep};
        view.addRun(a);
        RunSummary b = a;
        b.method = QStringLiteral("duquant");
        b.quantPpl = 10.5;
        view.addRun(b);
        QCOMPARE(view.runCount(), 2);
        QVERIFY(view.headline().contains(QStringLiteral("10.5000")) && view.headline().contains(QStringLiteral("3.1231")));
        QCOMPARE(view.layerTable()->rowCount(), 2);
        QCOMPARE(view.runTable()->item(0, 4)->text(), QStringLiteral("65.8400"));
        QCOMPARE(view.runsCsv().split(QLatin1Char('\n'), Qt::SkipEmptyParts).size(), 3);
        view.resize(900, 400);
        saveScreenshot(&view, QStringLiteral("results"));
    }
};

QTEST_MAIN(TestViews)
#include "tst_views.moc"
