// outlierlab [MODEL|SESSION.h5]: the workbench. Opens the given checkpoint (or session), or the demo when none
// is given: the bundled model with planted outliers (File ▸ Open unmodified demo model has the original). --screenshot FILE saves
// the window once the model is calibrated and its first preview shown, then quits (the package test and the AppStream
// screenshot).
#include "core/device.h"
#include "core/resources.h"
#include "core/version.h"
#include "mainwindow.h"
#include "workbench.h"

#include <ATen/Parallel.h>
#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QIcon>
#include <QPixmap>
#include <QScreen>
#include <QThread>
#include <QTimer>
#include <cstdio>

int main(int argc, char** argv) {
    ol::configureProcess(argv);
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("OutlierLab"));
    QApplication::setOrganizationName(QStringLiteral("OutlierLab"));
    QApplication::setApplicationVersion(QStringLiteral(OUTLIERLAB_VERSION_STRING));
    QApplication::setDesktopFileName(QStringLiteral("org.outlierlab.OutlierLab"));
    QApplication::setWindowIcon(QIcon(QString::fromStdString(ol::resourcesDir() + "/icons/org.outlierlab.OutlierLab.svg")));
    at::set_num_threads(std::max(1, QThread::idealThreadCount()));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Activation outlier workbench and quantizer for LLaMA-family models"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(
        QStringLiteral("model"),
        QStringLiteral("llama2.c .bin, Hugging Face directory or session .h5 (default: the bundled demo model)"));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("save the window as a PNG once the model is open, then quit"),
                                        QStringLiteral("file"));
    parser.addOption(screenshot);
    const QCommandLineOption raise(QStringLiteral("raise"),
                                   QStringLiteral("bring a tabbed dock to the front, by object name (e.g. SurfaceDock)"),
                                   QStringLiteral("dock"));
    parser.addOption(raise);
    parser.process(app);

    olv::MainWindow window;
    window.show();
    if (parser.isSet(raise)) {
        auto* dock = window.dock(parser.value(raise));
        if (!dock) {
            std::fprintf(stderr, "--raise: no dock named %s\n", qPrintable(parser.value(raise)));
            return 2;
        }
        dock->raise();
    }
    const auto args = parser.positionalArguments();
    if (!args.isEmpty() && args.front().endsWith(QLatin1String(".h5")))
        window.openSession(args.front());
    else if (args.isEmpty())
        window.openPlantedDemo();
    else
        window.openModel(args.front());
    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        // The first preview follows the workspace; give it time to draw, and give up after two minutes.
        QObject::connect(window.workbench(), &olv::Workbench::workspaceChanged, &window, [&window, file] {
            QTimer::singleShot(3000, &window, [&window, file] {
                // What the screen shows in the window's frame, where there is a real screen (the window as
                // drawn, clipped where it leaves the screen); the window's own rendering on the offscreen platform.
                const bool offscreen = QGuiApplication::platformName() == QLatin1String("offscreen");
                const QRect frame = window.frameGeometry();
                const QPixmap shot = offscreen || !window.screen()
                                         ? window.grab()
                                         : window.screen()->grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height());
                const bool saved = shot.save(file);
                std::fprintf(saved ? stdout : stderr, saved ? "screenshot: %s\n" : "cannot write %s\n", qPrintable(file));
                QApplication::exit(saved ? 0 : 1);
            });
        });
        QTimer::singleShot(120000, &window, [] {
            std::fprintf(stderr, "no model opened within 120 s\n");
            QApplication::exit(1);
        });
    }
    return app.exec();
}
