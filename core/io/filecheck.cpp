#include "core/io/filecheck.h"

#include "core/errors.h"
#include "core/io/syserror.h"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>

namespace ol {

std::string fileKind(unsigned mode) {
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return S_ISREG(mode) ? "a regular file" : "not a regular file";
}

void requireRegularFile(const std::string& path, const std::string& what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw FormatError(path + ": cannot read the " + what + ": " + systemMessage(errno));
    if (!S_ISREG(st.st_mode)) throw FormatError(path + ": is " + fileKind(st.st_mode) + ", not a " + what);
}

} // namespace ol
