#include "core/jobs/job.h"

#include "core/errors.h"

#include <QCoreApplication>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>
#include <chrono>

namespace olv {

// Lives as long as the worker needs it (shared), forwards reports to the GUI thread at most ~20 times a
// second (and on every stage change); the job behind it may be gone by then.
class Job::WorkerProgress : public ol::Progress {
public:
    explicit WorkerProgress(Job* job) : m_job(job) {}
    void report(double fraction, const std::string& message) override {
        const auto now = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(m_mutex);
            const bool stageChanged = message != m_lastMessage;
            if (!stageChanged && now - m_last < std::chrono::milliseconds(50)) return;
            m_last = now;
            m_lastMessage = message;
        }
        post(m_job, fraction, QString::fromStdString(message));
    }

private:
    static void post(const QPointer<Job>& job, double fraction, const QString& message) {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [job, fraction, message] {
                if (job) job->onReport(fraction, message);
            },
            Qt::QueuedConnection);
    }
    QPointer<Job> m_job;
    std::mutex m_mutex;
    std::chrono::steady_clock::time_point m_last{};
    std::string m_lastMessage;
};

Job::Job(int id, QString title, QObject* parent) : QObject(parent), m_id(id), m_title(std::move(title)) {}

Job::~Job() {
    if (m_progress) m_progress->cancel(); // a job that is dropped should not keep working
}

double Job::elapsedSeconds() const { return m_clock.isValid() ? m_clock.elapsed() / 1000.0 : 0.0; }

double Job::etaSeconds() const {
    if (m_state != State::Running || m_fraction < 0.02 || elapsedSeconds() < 1.0) return -1;
    return elapsedSeconds() * (1.0 - m_fraction) / m_fraction;
}

void Job::start(QThreadPool* pool, std::function<std::function<void()>(ol::Progress&)> work) {
    m_progress = std::make_shared<WorkerProgress>(this);
    QPointer<Job> self(this);
    auto progress = m_progress;
    setState(State::Running);
    m_clock.start();
    auto deliver = [self](State state, const QString& error, const std::function<void()>& install) {
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [self, state, error, install] {
                if (self) self->onDone(state, error, install);
            },
            Qt::QueuedConnection);
    };
    (void)QtConcurrent::run(pool, [work = std::move(work), progress, deliver] {
        try {
            auto install = work(*progress);
            deliver(progress->isCancelled() ? State::Cancelled : State::Finished, {}, install);
        } catch (const ol::Cancelled&) {
            deliver(State::Cancelled, {}, {});
        } catch (const std::exception& e) {
            deliver(progress->isCancelled() ? State::Cancelled : State::Failed,
                    QString::fromStdString(ol::renderParameters(e.what(), ol::ParameterStyle::Name)), {});
        }
    });
}

void Job::cancel() {
    if (isDone()) return;
    if (m_progress) m_progress->cancel();
    m_message = tr("cancelling…");
    Q_EMIT progressChanged();
}

void Job::setState(State s) {
    if (m_state == s) return;
    m_state = s;
    Q_EMIT stateChanged(s);
}

void Job::onReport(double fraction, const QString& message) {
    if (isDone()) return;
    m_fraction = std::clamp(fraction, 0.0, 1.0);
    if (!(m_progress && m_progress->isCancelled())) m_message = message;
    Q_EMIT progressChanged();
}

void Job::onDone(State state, const QString& error, const std::function<void()>& install) {
    m_error = error;
    if (state == State::Finished) {
        m_fraction = 1;
        try {
            if (install) install();
        } catch (const std::exception& e) {
            state = State::Failed;
            m_error = QString::fromStdString(ol::renderParameters(e.what(), ol::ParameterStyle::Name));
        }
    }
    m_message = state == State::Finished    ? tr("done in %1 s").arg(elapsedSeconds(), 0, 'f', 1)
                : state == State::Cancelled ? tr("cancelled")
                                            : m_error;
    setState(state);
    Q_EMIT progressChanged();
    Q_EMIT finished();
}

} // namespace olv
