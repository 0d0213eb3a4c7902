#pragma once
// An exclusive advisory lock on a directory (flock on DIR/.lock), held for the
// object's lifetime: two processes writing one run directory would interleave
// their layers, so the second refuses. The kernel drops the lock when the holder
// exits, even by kill -9, so a crashed run never leaves a stale lock behind.
#include <string>

namespace ol {

class DirectoryLock {
public:
    // Throws UsageError naming `what` (e.g. "--save_dir") and the directory when another process holds it.
    DirectoryLock(const std::string& dir, const std::string& what);
    ~DirectoryLock();
    DirectoryLock(const DirectoryLock&) = delete;
    DirectoryLock& operator=(const DirectoryLock&) = delete;

private:
    int m_fd = -1;
};

} // namespace ol
