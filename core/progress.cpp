#include "core/progress.h"

#include "core/errors.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ol {

void Progress::checkCancelled() const {
    if (isCancelled()) throw Cancelled();
}

std::string formatDuration(double s) {
    char buf[32];
    if (s < 60)
        std::snprintf(buf, sizeof buf, "%.0fs", s);
    else if (s < 3600)
        std::snprintf(buf, sizeof buf, "%dm%02ds", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
    else
        std::snprintf(buf, sizeof buf, "%dh%02dm", static_cast<int>(s) / 3600, (static_cast<int>(s) / 60) % 60);
    return buf;
}

StderrProgress::StderrProgress(std::string prefix, bool enabled)
    : m_prefix(std::move(prefix)), m_enabled(enabled), m_start(std::chrono::steady_clock::now()) {}

void StderrProgress::report(double fraction, const std::string& message) {
    if (!m_enabled) return;
    std::lock_guard lock(m_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (message == m_lastMessage && now - m_last < std::chrono::milliseconds(200) && fraction < 1.0) return;
    m_last = now;
    m_lastMessage = message;
    fraction = std::clamp(fraction, 0.0, 1.0);
    const double elapsed = std::chrono::duration<double>(now - m_start).count();
    std::string eta;
    if (fraction > 0.02 && fraction < 1.0) eta = " (ETA " + formatDuration(elapsed * (1.0 - fraction) / fraction) + ")";
    std::fprintf(stderr, "%s[%3d%%] %s%s\n", m_prefix.c_str(), static_cast<int>(std::lround(fraction * 100.0)), message.c_str(),
                 eta.c_str());
    std::fflush(stderr);
}

void StderrProgress::finish(const std::string& message) {
    if (!m_enabled) return;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    std::fprintf(stderr, "%s[100%%] %s in %s\n", m_prefix.c_str(), message.c_str(), formatDuration(elapsed).c_str());
}

SubProgress::SubProgress(Progress& parent, double begin, double end, std::string prefix)
    : m_parent(parent), m_begin(begin), m_end(end), m_prefix(std::move(prefix)) {}

void SubProgress::report(double fraction, const std::string& message) {
    m_parent.report(m_begin + (m_end - m_begin) * std::clamp(fraction, 0.0, 1.0), m_prefix + message);
}

} // namespace ol
