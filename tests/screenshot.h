#pragma once
// Saves a widget's picture for people to look at: <build>/tests/output/screenshots/NAME.png.
#include <QDir>
#include <QFileInfo>
#include <QString>
#include <QWidget>

inline QString saveScreenshot(QWidget* widget, const QString& name) {
    const QString path = QStringLiteral(OL_TEST_OUTPUT_DIR "/screenshots/") + name + QStringLiteral(".png");
    QDir().mkpath(QFileInfo(path).absolutePath());
    widget->grab().save(path);
    return path;
}
