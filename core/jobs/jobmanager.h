#pragma once
// Starts jobs and keeps the list the Jobs view shows. Long jobs (open,
// calibrate, quantize, evaluate, export) share a pool; previews have their own
// one-thread pool so that a running quantization never delays them, and each
// new preview cancels the previous one (newest wins).
#include "core/jobs/job.h"

#include <QList>
#include <QObject>
#include <QThreadPool>

namespace olv {

class JobManager : public QObject {
    Q_OBJECT
public:
    explicit JobManager(QObject* parent = nullptr);
    ~JobManager() override;

    using Work = std::function<std::function<void()>(ol::Progress&)>;
    // A long job; listed in the Jobs view.
    Job* start(const QString& title, Work work);
    // A preview: cancels the previous preview; only the newest one's result is installed. Replaced
    // previews are deleted once they have stopped: keep a QPointer, not a Job*, to an older one.
    Job* startPreview(const QString& title, Work work);

    const QList<Job*>& jobs() const { return m_jobs; }
    bool anyRunning() const;
    void cancelAll();
    // Cancels every job and blocks until their workers have returned, without running the event loop (their
    // results are dropped): for an owner about to be destroyed.
    void stopAll();
    // Blocks (processing events) until no job runs; for tests and shutdown.
    bool waitForIdle(int timeoutMs);

Q_SIGNALS:
    void jobAdded(olv::Job* job);
    void jobFinished(olv::Job* job);
    void failed(const QString& title, const QString& message);

private:
    Job* launch(const QString& title, Work work, QThreadPool* pool, bool transient);
    void forget(Job* job); // out of the list, deleted later
    QThreadPool m_pool, m_previewPool;
    QList<Job*> m_jobs;
    QPointer<Job> m_preview;
    int m_nextId = 1;
};

} // namespace olv
