#include "core/io/mappedfile.h"

#include "core/errors.h"
#include "core/io/filecheck.h"
#include "core/io/syserror.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ol {

MappedFile::MappedFile(std::string path) : m_path(std::move(path)) {
    // Checked before opening: open() on a FIFO blocks until a writer appears,
    // and a device (/dev/zero) is no checkpoint either. O_NONBLOCK covers a
    // file swapped for a FIFO in between; fstat then refuses it.
    struct stat st {};
    if (::stat(m_path.c_str(), &st) != 0) throw FormatError(m_path + ": cannot open: " + systemMessage(errno));
    if (!S_ISREG(st.st_mode)) throw FormatError(m_path + ": is " + fileKind(st.st_mode) + ", not a regular file");
    const int fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw FormatError(m_path + ": cannot open: " + systemMessage(errno));
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw FormatError(m_path + ": not a regular file");
    }
    m_size = static_cast<std::uint64_t>(st.st_size);
    if (m_size > 0) {
        void* p = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            const int err = errno;
            ::close(fd);
            throw FormatError(m_path + ": cannot map: " + systemMessage(err));
        }
        m_data = static_cast<const std::byte*>(p);
    }
    ::close(fd);
}

void MappedFile::release(const std::byte* begin, std::size_t length) const {
    if (!m_data || length == 0 || begin < m_data || begin + length > m_data + m_size) return;
    // Whole pages only; the pages at either end may hold a neighbour's bytes,
    // which is harmless: they are read again on the next access.
    static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto from = reinterpret_cast<std::uintptr_t>(begin) & ~(page - 1);
    const auto to = (reinterpret_cast<std::uintptr_t>(begin) + length + page - 1) & ~(page - 1);
    ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
    if (m_data) ::munmap(const_cast<std::byte*>(m_data), m_size);
}

} // namespace ol
