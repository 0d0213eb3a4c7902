#pragma once
// The planted-outlier variant of the bundled model (shared/data/README.md):
// massive 0:7:×150 and 2:100:×400 at down_proj inputs, normal 1:attn_in:5:×20
// and 3:mlp_in:30:×25. Written once per test program with the real CLI.
#include "app/clirunner.h"

#include <QDir>
#include <QString>

inline QString plantedModelDir(const QString& parent, QString* error) {
    const QString dir = parent + QStringLiteral("/planted");
    if (QDir(dir).exists()) return dir;
    const auto r = runCli({"plant-outliers", "--out", dir, "--quiet", "--massive", "0:7:150", "--massive", "2:100:400",
                           "--normal", "1:attn_in:5:20", "--normal", "3:mlp_in:30:25"});
    if (r.exitCode != 0) {
        *error = r.err;
        return {};
    }
    return dir;
}
