#pragma once
// Runs the real outlierlab-cli binary (path from $OUTLIERLAB_CLI, set by CTest).
#include <QMap>
#include <QProcess>
#include <QString>
#include <QStringList>

struct CliRun {
    int exitCode = -1; // -1: crashed (a signal) or timed out
    QString out, err;
};

// `env`: variables added to the test's environment for this run (fault points, thread counts).
inline CliRun runCli(const QStringList& args, int timeoutMs = 300000, const QMap<QString, QString>& env = {}) {
    QProcess p;
    if (!env.isEmpty()) {
        auto e = QProcessEnvironment::systemEnvironment();
        for (auto it = env.begin(); it != env.end(); ++it) e.insert(it.key(), it.value());
        p.setProcessEnvironment(e);
    }
    p.start(QString::fromLocal8Bit(qgetenv("OUTLIERLAB_CLI")), args);
    CliRun r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        r.err = "timeout";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}
