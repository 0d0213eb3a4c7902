#pragma once
// The text of an errno value, safe to call from any thread (std::strerror shares one buffer).
#include <cstring>
#include <string>

namespace ol {

inline std::string systemMessage(int err) {
    char buf[256];
    return ::strerror_r(err, buf, sizeof buf); // the GNU variant: returns the message, in buf or static
}

} // namespace ol
