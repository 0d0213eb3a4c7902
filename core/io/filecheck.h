#pragma once
// Checks made before a named input file is opened: open() on a FIFO blocks
// until a writer appears, and a directory or device read as a file gives
// misleading errors ("empty", "truncated") or never ends (/dev/zero).
#include <string>

namespace ol {

// "a directory", "a FIFO", "a character device", ... for a stat() mode.
std::string fileKind(unsigned mode);
// FormatError "<path>: is a directory, not a <what>" (or cannot be read) unless
// `path` is a regular file (symbolic links are followed).
void requireRegularFile(const std::string& path, const std::string& what);

} // namespace ol
