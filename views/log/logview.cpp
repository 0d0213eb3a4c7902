#include "views/log/logview.h"

#include <QDateTime>
#include <QPointer>

namespace olv {

namespace {
QPointer<LogView> g_capture;
QtMessageHandler g_previous = nullptr;

void handler(QtMsgType type, const QMessageLogContext& context, const QString& message) {
    if (g_previous) g_previous(type, context, message);
    static const char* names[] = {"debug", "warning", "critical", "fatal", "info"};
    if (auto view = g_capture) view->log(QStringLiteral("%1: %2").arg(QLatin1String(names[type]), message));
}
} // namespace

LogView::LogView(QWidget* parent) : QPlainTextEdit(parent) {
    setReadOnly(true);
    setMaximumBlockCount(10000);
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
}

LogView::~LogView() {
    if (g_capture == this) {
        qInstallMessageHandler(g_previous);
        g_capture = nullptr;
    }
}

void LogView::captureQtMessages() {
    g_capture = this;
    g_previous = qInstallMessageHandler(handler);
}

void LogView::log(const QString& text) {
    const auto line = QStringLiteral("[%1] %2").arg(QDateTime::currentDateTime().toString(QStringLiteral("hh:mm:ss")), text);
    QPointer<LogView> self(this);
    QMetaObject::invokeMethod(
        this,
        [self, line] {
            if (self) self->appendPlainText(line);
        },
        Qt::AutoConnection);
}

} // namespace olv
