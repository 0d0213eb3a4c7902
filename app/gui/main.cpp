// outlierlab [MODEL|SESSION.h5]: the workbench. Opens the given checkpoint
// (or session), or the bundled demo model when none is given.
#include "core/device.h"
#include "core/version.h"
#include "mainwindow.h"

#include <ATen/Parallel.h>
#include <QApplication>
#include <QCommandLineParser>
#include <QThread>

int main(int argc, char** argv) {
    ol::configureProcess(argv);
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("OutlierLab"));
    QApplication::setOrganizationName(QStringLiteral("OutlierLab"));
    QApplication::setApplicationVersion(QStringLiteral(OUTLIERLAB_VERSION_STRING));
    at::set_num_threads(std::max(1, QThread::idealThreadCount()));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Activation outlier workbench and quantizer for LLaMA-family models"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(
        QStringLiteral("model"),
        QStringLiteral("llama2.c .bin, Hugging Face directory or session .h5 (default: the bundled demo model)"));
    parser.process(app);

    olv::MainWindow window;
    window.show();
    const auto args = parser.positionalArguments();
    if (!args.isEmpty() && args.front().endsWith(QLatin1String(".h5")))
        window.openSession(args.front());
    else
        window.openModel(args.isEmpty() ? QString() : args.front());
    return app.exec();
}
