#pragma once
// One long task (open, calibrate, preview, quantize, evaluate, export) run on
// a worker thread: progress as a fraction and a stage text with an ETA, and
// cancellation through ol::Progress, which core code checks between steps.
// The result reaches the GUI thread as a queued call; a job deleted before it
// ends (or a stale preview) just drops its result.
#include "core/progress.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QString>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

class QThreadPool;

namespace olv {

class Job : public QObject {
    Q_OBJECT
public:
    enum class State { Queued, Running, Finished, Failed, Cancelled };
    Q_ENUM(State)

    Job(int id, QString title, QObject* parent = nullptr);
    ~Job() override;

    int id() const { return m_id; }
    QString title() const { return m_title; }
    State state() const { return m_state; }
    double fraction() const { return m_fraction; }
    QString message() const { return m_message; }
    QString error() const { return m_error; }
    double elapsedSeconds() const;
    // Seconds left estimated from the elapsed time and the fraction; < 0 when unknown.
    double etaSeconds() const;
    // A transient job (a preview) replaces the previous transient one in the Jobs view.
    bool isTransient() const { return m_transient; }
    void setTransient(bool t) { m_transient = t; }
    bool isDone() const { return m_state == State::Finished || m_state == State::Failed || m_state == State::Cancelled; }

    // Runs `work` on `pool`. `work` returns a callable the GUI thread runs on success (it installs the result).
    void start(QThreadPool* pool, std::function<std::function<void()>(ol::Progress&)> work);

public Q_SLOTS:
    void cancel();

Q_SIGNALS:
    void progressChanged();
    void stateChanged(olv::Job::State state);
    void finished(); // any end: finished, failed or cancelled

private:
    class WorkerProgress;
    void setState(State s);
    void onReport(double fraction, const QString& message);
    void onDone(State state, const QString& error, const std::function<void()>& install);

    int m_id;
    bool m_transient = false;
    QString m_title;
    State m_state = State::Queued;
    double m_fraction = 0;
    QString m_message;
    QString m_error;
    QElapsedTimer m_clock;
    std::shared_ptr<WorkerProgress> m_progress;
};

} // namespace olv
