#pragma once
// The Log dock: messages of the session (jobs started and ended, errors,
// Qt warnings), time-stamped. Safe to call from any thread.
#include <QPlainTextEdit>

namespace olv {

class LogView : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit LogView(QWidget* parent = nullptr);
    ~LogView() override;
    // Appends "[hh:mm:ss] text"; from any thread.
    void log(const QString& text);
    // Routes qDebug/qInfo/qWarning/qCritical to this view (and still to stderr) while it lives.
    void captureQtMessages();
};

} // namespace olv
