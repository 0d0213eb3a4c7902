// Crashes and concurrent writers with the real binary: kill -9 (SIGKILL at a
// fault point, core/faultpoint.h) while a layer's checkpoint is half written,
// then --resume: the same export bit for bit, no temporaries left; a second
// process on a --save_dir that another one is writing is refused.
#include "clirunner.h"

#include <QDir>
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

private slots:
    // RPTQ carries every window's layer input; spilled to a file, the resumed run must replay it exactly.
    void killDuringALayerWriteThenResumeIsBitIdentical_data() {
        QTest::addColumn<QStringList>("method");
        QTest::newRow("duquant compat") << kDuQuant;
        QTest::newRow("rptq, activations spilled") << QStringList{"--method", "rptq", "--spill", "always"};
    }
    void killDuringALayerWriteThenResumeIsBitIdentical() {
        QFETCH(QStringList, method);
        const QString tag = QTest::currentDataTag();
        const QString ref = tag.left(4) + "-ref", killedName = tag.left(4) + "-killed";
        const auto refRun = runCli(quantize(ref, method));
        QVERIFY2(refRun.exitCode == 0, qPrintable(refRun.err));
        QVERIFY(QFile::exists(m_dir.filePath(ref + "-export/model.safetensors")));
        const auto killed = runCli(quantize(killedName, method), 300000, {{"OUTLIERLAB_KILL_AT", "layer-write:3"}});
        QCOMPARE(killed.exitCode, -1); // SIGKILL
        QVERIFY(QFile::exists(m_dir.filePath(killedName + "/layers/layer-00001.h5")));
        QVERIFY(!QFile::exists(m_dir.filePath(killedName + "/layers/layer-00002.h5"))); // the half-written one never appears
        const auto resumed = runCli(quantize(killedName, method) << "--resume");
        QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
        const auto refHash = hashOfExport(m_dir.filePath(ref + "-export"));
        QVERIFY(!refHash.isEmpty());
        QCOMPARE(hashOfExport(m_dir.filePath(killedName + "-export")), refHash);
        QCOMPARE(QDir(m_dir.filePath(killedName + "/layers")).entryList(QDir::Files).size(), 5); // no temporaries left
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
