#pragma once
// Runs the real outlierlab-cli binary (path from $OUTLIERLAB_CLI, set by CTest).
#include <QProcess>
#include <QString>
#include <QStringList>

struct CliRun {
    int exitCode = -1; // -1: crashed or timed out
    QString out, err;
};

inline CliRun runCli(const QStringList& args, int timeoutMs = 300000) {
    QProcess p;
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
