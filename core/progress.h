#pragma once
// Progress and cancellation for long work. Core code reports a fraction in
// [0, 1] and a message and calls checkCancelled() at least between layers;
// front ends decide how to show it (stderr line, progress bar).
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

namespace ol {

class Progress {
public:
    virtual ~Progress() = default;
    virtual void report(double fraction, const std::string& message) = 0;
    virtual bool isCancelled() const { return m_cancelled.load(); }
    void cancel() { m_cancelled = true; }
    // Throws Cancelled when the job was cancelled.
    void checkCancelled() const;

private:
    std::atomic<bool> m_cancelled{false};
};

// Reports nothing; never cancelled unless cancel() is called.
class NullProgress : public Progress {
public:
    void report(double, const std::string&) override {}
};

// "[ 42%] layer 3/32: rotation (ETA 1m05s)" on stderr, at most ~5 lines a second
// plus every message change; a final newline on finish().
class StderrProgress : public Progress {
public:
    explicit StderrProgress(std::string prefix, bool enabled = true);
    void report(double fraction, const std::string& message) override;
    void finish(const std::string& message);

private:
    std::string m_prefix;
    bool m_enabled;
    std::chrono::steady_clock::time_point m_start, m_last;
    std::string m_lastMessage;
    std::mutex m_mutex;
};

// Formats seconds as "42s", "3m05s", "1h02m".
std::string formatDuration(double seconds);

// Maps a sub-task's [0,1] into [begin, end] of a parent's progress.
class SubProgress : public Progress {
public:
    SubProgress(Progress& parent, double begin, double end, std::string prefix = {});
    void report(double fraction, const std::string& message) override;
    bool isCancelled() const override { return m_parent.isCancelled(); }

private:
    Progress& m_parent;
    double m_begin, m_end;
    std::string m_prefix;
};

} // namespace ol
