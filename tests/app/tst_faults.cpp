// Crashes and concurrent writers with the real binary: kill -9 (SIGKILL at a
// fault point, core/faultpoint.h) during calibration, with a layer quantized but
// not saved, while a layer's checkpoint or the export is half written, then the
// rerun: the same export bit for bit, no temporaries left; a second process on a
// --save_dir that another one is writing is refused.
#include "clirunner.h"

#include <QDir>
#include <QMap>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>

namespace {

// Started in the background, stopping itself (SIGSTOP) at `stopAt`.
QProcess* startStopping(const QStringList& args, const QString& stopAt) {
    auto* p = new QProcess;
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("OUTLIERLAB_STOP_AT", stopAt);
    p->setProcessEnvironment(env);
    p->start(qEnvironmentVariable("OUTLIERLAB_CLI"), args);
    return p;
}

class TestFaults : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QStringList quantize(const QString& name, const QStringList& method = kDuQuant) const {
        return QStringList{"quantize", "--save_dir", m_dir.filePath(name), "--export", m_dir.filePath(name + "-export"),
                           "--quiet"} +
               method;
    }
    static inline const QStringList kDuQuant{"--method", "duquant", "--max_rotation_step", "32", "--reference_compat"};
    static inline const QStringList kRptqSpilled{"--method", "rptq", "--spill", "always"};
    static inline const QStringList kRtn{"--method", "rtn"};
    QMap<QString, QString> m_references; // method flags -> the export of an uninterrupted run
    int m_runs = 0;
    // The export of an uninterrupted run with these flags (made once per method).
    QString referenceRun(const QStringList& method) {
        const auto key = method.join(' ');
        if (!m_references.contains(key)) {
            const QString name = QString("ref-%1").arg(m_references.size());
            const auto run = runCli(quantize(name, method));
            if (run.exitCode != 0 || hashOfExport(m_dir.filePath(name + "-export")).isEmpty()) {
                qWarning("reference run failed: %s", qPrintable(run.err));
                return {};
            }
            m_references[key] = m_dir.filePath(name + "-export");
        }
        return m_references[key];
    }

private Q_SLOTS:
    // kill -9 at each moment of a run, then the command a user reruns: the same export bit for bit, and
    // nothing half-written left (no layer or export temporaries). RPTQ carries every window's layer input;
    // spilled to a file, the resumed run must replay it exactly. A kill during calibration happens before
    // the run directory exists: there is nothing to resume (--resume says so), and the plain rerun is the
    // reference run.
    void killThenResumeIsBitIdentical_data() {
        QTest::addColumn<QStringList>("method");
        QTest::addColumn<QString>("killAt");
        QTest::addColumn<int>("layersLeft"); // finished layer files after the kill; -1: no run directory
        QTest::newRow("duquant compat, layer checkpoint half written") << kDuQuant << "layer-write:3" << 2;
        QTest::newRow("duquant compat, layer quantized, not saved") << kDuQuant << "layer:2" << 1;
        QTest::newRow("rptq spilled, layer checkpoint half written") << kRptqSpilled << "layer-write:3" << 2;
        QTest::newRow("rtn, during calibration") << kRtn << "calibration:2" << -1;
        QTest::newRow("rtn, export half written") << kRtn << "export-write" << 5;
    }
    void killThenResumeIsBitIdentical() {
        QFETCH(QStringList, method);
        QFETCH(QString, killAt);
        QFETCH(int, layersLeft);
        const QString ref = referenceRun(method);
        QVERIFY(!ref.isEmpty());
        const QString name = QString("killed-%1").arg(++m_runs);
        const auto killed = runCli(quantize(name, method), 300000, {{"OUTLIERLAB_KILL_AT", killAt}});
        QCOMPARE(killed.exitCode, -1); // SIGKILL
        const QDir layers(m_dir.filePath(name + "/layers"));
        QVERIFY(!QFile::exists(m_dir.filePath(name + "-export"))); // a half-written export never appears
        if (layersLeft < 0) {
            QVERIFY(!QFile::exists(m_dir.filePath(name)));
            const auto refused = runCli(quantize(name, method) << "--resume");
            QCOMPARE(refused.exitCode, 2);
            QVERIFY2(refused.err.contains("no run.json") && refused.err.contains("leave out --resume"), qPrintable(refused.err));
            const auto rerun = runCli(quantize(name, method));
            QVERIFY2(rerun.exitCode == 0, qPrintable(rerun.err));
        } else {
            // Only whole layers are visible: the one being written or quantized never appears.
            QCOMPARE(layers.entryList({"layer-*.h5"}, QDir::Files).size(), layersLeft);
            const auto resumed = runCli(quantize(name, method) << "--resume");
            QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        }
        QCOMPARE(hashOfExport(m_dir.filePath(name + "-export")), hashOfExport(ref));
        QCOMPARE(layers.entryList(QDir::Files).size(), 5); // no temporaries left
        const auto beside = QDir(m_dir.path()).entryList({name + "-export*"}, QDir::Dirs | QDir::NoDotAndDotDot);
        QCOMPARE(beside, QStringList{name + "-export"}); // no export temporary left either
    }

    void secondWriterOfASaveDirIsRefused() {
        std::unique_ptr<QProcess> first(startStopping(quantize("locked"), "layer:2"));
        // Wait until the first process froze itself inside the pipeline (it holds the lock).
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(m_dir.filePath("locked/layers/layer-00000.h5")), 120000);
        QTest::qWait(500);
        const auto second = runCli(quantize("locked") << "--resume");
        ::kill(static_cast<pid_t>(first->processId()), SIGKILL);
        first->waitForFinished(10000);
        QCOMPARE(second.exitCode, 2);
        QVERIFY2(second.err.contains("being written by another process"), qPrintable(second.err));
    }
};

} // namespace

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
