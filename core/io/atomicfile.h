#pragma once
// Output files are written under a temporary name in the destination folder
// and renamed into place on commit(); an exception or a crash leaves the old
// file (or none) behind, never a half-written one.
#include <string>

namespace ol {

class AtomicFile {
public:
    explicit AtomicFile(std::string finalPath);
    ~AtomicFile(); // removes the temporary file unless committed
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;

    const std::string& tempPath() const { return m_tempPath; }
    const std::string& finalPath() const { return m_finalPath; }
    // Renames the temporary file onto the final path. Throws RuntimeFailure.
    void commit();

private:
    std::string m_finalPath;
    std::string m_tempPath;
    bool m_committed = false;
};

// Removes a directory being written (under a temporary name) unless keep is set:
// an exception or a cancel leaves nothing half-written behind.
struct DirectoryGuard {
    std::string dir;
    bool keep = false;
    ~DirectoryGuard();
};

} // namespace ol
