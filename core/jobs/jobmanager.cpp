#include "core/jobs/jobmanager.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

namespace olv {

JobManager::JobManager(QObject* parent) : QObject(parent) {
    m_pool.setMaxThreadCount(2);
    m_previewPool.setMaxThreadCount(1);
}

JobManager::~JobManager() { stopAll(); }

Job* JobManager::launch(const QString& title, Work work, QThreadPool* pool, bool transient) {
    auto* job = new Job(m_nextId++, title, this);
    job->setTransient(transient);
    m_jobs.append(job);
    connect(job, &Job::finished, this, [this, job] {
        if (job->state() == Job::State::Failed) Q_EMIT failed(job->title(), job->error());
        Q_EMIT jobFinished(job);
        if (job->isTransient() && job != m_preview) forget(job); // a replaced preview that has now stopped
    });
    Q_EMIT jobAdded(job);
    job->start(pool, std::move(work));
    return job;
}

Job* JobManager::start(const QString& title, Work work) { return launch(title, std::move(work), &m_pool, false); }

void JobManager::forget(Job* job) {
    m_jobs.removeOne(job);
    job->deleteLater();
}

Job* JobManager::startPreview(const QString& title, Work work) {
    // The previous preview is cancelled; once stopped it leaves the list (a preview per keystroke would
    // otherwise pile up for the life of the window).
    if (m_preview) {
        m_preview->cancel();
        if (m_preview->isDone()) forget(m_preview);
    }
    // Only the newest preview may install its result.
    auto guarded = [this, work = std::move(work), id = m_nextId](ol::Progress& p) -> std::function<void()> {
        auto install = work(p);
        return [this, install, id] {
            if (m_preview && m_preview->id() == id && install) install();
        };
    };
    m_preview = launch(title, std::move(guarded), &m_previewPool, true);
    return m_preview;
}

bool JobManager::anyRunning() const {
    for (auto* j : m_jobs)
        if (!j->isDone()) return true;
    return false;
}

void JobManager::cancelAll() {
    for (auto* j : m_jobs) j->cancel();
}

void JobManager::stopAll() {
    cancelAll();
    m_pool.waitForDone();
    m_previewPool.waitForDone();
}

bool JobManager::waitForIdle(int timeoutMs) {
    QElapsedTimer t;
    t.start();
    while (anyRunning()) {
        if (t.elapsed() > timeoutMs) return false;
        QEventLoop loop;
        QTimer::singleShot(20, &loop, &QEventLoop::quit);
        loop.exec();
    }
    QCoreApplication::processEvents();
    return true;
}

} // namespace olv
