#include "core/io/atomicfile.h"

#include "core/errors.h"
#include "core/io/syserror.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unistd.h>

namespace ol {

namespace {
std::atomic<unsigned> g_counter{0};
}

AtomicFile::AtomicFile(std::string finalPath) : m_finalPath(std::move(finalPath)) {
    m_tempPath = m_finalPath + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(g_counter++);
}

AtomicFile::~AtomicFile() {
    if (!m_committed) std::remove(m_tempPath.c_str());
}

void AtomicFile::commit() {
    if (std::rename(m_tempPath.c_str(), m_finalPath.c_str()) != 0)
        throw RuntimeFailure(m_finalPath + ": cannot move the finished file into place: " + systemMessage(errno));
    m_committed = true;
}

DirectoryGuard::~DirectoryGuard() {
    if (keep) return;
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

} // namespace ol
