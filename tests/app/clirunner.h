#pragma once
// Runs the real outlierlab-cli binary (path from $OUTLIERLAB_CLI, set by CTest).
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
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

// SHA-256 over a directory's safetensors files (names and bytes, in name order): "the same export bit for
// bit". Empty when there is none or one cannot be read, so that two missing exports never compare equal
// by accident: callers check that it is not empty.
inline QByteArray hashOfExport(const QString& dir) {
    QCryptographicHash h(QCryptographicHash::Sha256);
    const auto files = QDir(dir).entryInfoList({"*.safetensors"}, QDir::Files, QDir::Name);
    if (files.isEmpty()) return {};
    for (const auto& f : files) {
        QFile file(f.filePath());
        if (!file.open(QIODevice::ReadOnly)) return {};
        h.addData(f.fileName().toUtf8());
        h.addData(file.readAll());
    }
    return h.result().toHex();
}
