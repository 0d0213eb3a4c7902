// Crashes and concurrent writers with the real binary: kill -9 (SIGKILL at a
// fault point, core/faultpoint.h) while a layer's checkpoint is half written,
// then --resume: the same export bit for bit, no temporaries left; a second
// process on a --save_dir that another one is writing is refused.
#include <QCryptographicHash>
#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>
#include <csignal>

namespace {

QProcess* start(const QStringList& args, const QString& killAt = {}, const QString& stopAt = {}) {
    auto* p = new QProcess;
    auto env = QProcessEnvironment::systemEnvironment();
    if (!killAt.isEmpty()) env.insert("OUTLIERLAB_KILL_AT", killAt);
    if (!stopAt.isEmpty()) env.insert("OUTLIERLAB_STOP_AT", stopAt);
    p->setProcessEnvironment(env);
    p->start(qEnvironmentVariable("OUTLIERLAB_CLI"), args);
    return p;
}

QByteArray hashOfDir(const QString& dir) {
    QCryptographicHash h(QCryptographicHash::Sha256);
    for (const auto& f : QDir(dir).entryInfoList({"*.safetensors"}, QDir::Files, QDir::Name)) {
        QFile file(f.filePath());
        if (file.open(QIODevice::ReadOnly)) h.addData(file.readAll());
    }
    return h.result().toHex();
}

class TestFaults : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QStringList quantize(const QString& name) const {
        return {"quantize", "--method", "duquant", "--max_rotation_step", "32", "--reference_compat", "--save_dir",
                m_dir.filePath(name), "--export", m_dir.filePath(name + "-export"), "--quiet"};
    }

private slots:
    void killDuringALayerWriteThenResumeIsBitIdentical() {
        std::unique_ptr<QProcess> ref(start(quantize("ref")));
        QVERIFY(ref->waitForFinished(300000));
        QCOMPARE(ref->exitCode(), 0);
        std::unique_ptr<QProcess> killed(start(quantize("killed"), "layer-write:3"));
        QVERIFY(killed->waitForFinished(300000));
        QCOMPARE(killed->exitStatus(), QProcess::CrashExit);
        std::unique_ptr<QProcess> resumed(start(quantize("killed") << "--resume"));
        QVERIFY(resumed->waitForFinished(300000));
        QVERIFY2(resumed->exitCode() == 0, resumed->readAllStandardError().constData());
        QCOMPARE(hashOfDir(m_dir.filePath("killed-export")), hashOfDir(m_dir.filePath("ref-export")));
    }

    void secondWriterOfASaveDirIsRefused() {
        std::unique_ptr<QProcess> first(start(quantize("locked"), {}, "layer:2"));
        // Wait until the first process froze itself inside the pipeline (it holds the lock).
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(m_dir.filePath("locked/layers/layer-00000.h5")), 120000);
        QTest::qWait(500);
        std::unique_ptr<QProcess> second(start(quantize("locked") << "--resume"));
        QVERIFY(second->waitForFinished(300000));
        const auto err = QString::fromUtf8(second->readAllStandardError());
        ::kill(static_cast<pid_t>(first->processId()), SIGKILL);
        first->waitForFinished(10000);
        QCOMPARE(second->exitCode(), 2);
        QVERIFY2(err.contains("being written by another process"), qPrintable(err));
    }
};

} // namespace

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
