#include "core/io/directorylock.h"

#include "core/errors.h"
#include "core/io/syserror.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <unistd.h>

namespace ol {

DirectoryLock::DirectoryLock(const std::string& dir, const std::string& what) {
    const std::string path = dir + "/.lock";
    m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_fd < 0) throw RuntimeFailure(what + " " + dir + ": cannot create its lock file: " + systemMessage(errno));
    if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        std::string holder;
        char buf[32] = {};
        if (::pread(m_fd, buf, sizeof buf - 1, 0) > 0) holder = " (process " + std::string(buf, std::strcspn(buf, "\n")) + ")";
        ::close(m_fd);
        m_fd = -1;
        if (err == EWOULDBLOCK)
            throw UsageError(what + " " + dir + " is being written by another process" + holder +
                             "; wait for it to finish or choose another directory");
        throw RuntimeFailure(what + " " + dir + ": cannot lock it: " + systemMessage(err));
    }
    // The holder's pid, for the message of the process that is refused.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(m_fd, 0) == 0) (void)!::pwrite(m_fd, pid.data(), pid.size(), 0);
}

DirectoryLock::~DirectoryLock() {
    if (m_fd >= 0) ::close(m_fd); // closing drops the flock
}

} // namespace ol
