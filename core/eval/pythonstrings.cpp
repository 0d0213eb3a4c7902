#include "core/eval/pythonstrings.h"

#include <cctype>

namespace ol::py {

namespace {
bool isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1c && c <= 0x1f);
}
} // namespace

std::string lstrip(std::string_view s) {
    std::size_t b = 0;
    while (b < s.size() && isSpace(s[b])) ++b;
    return std::string(s.substr(b));
}

std::string rstrip(std::string_view s) {
    std::size_t e = s.size();
    while (e > 0 && isSpace(s[e - 1])) --e;
    return std::string(s.substr(0, e));
}

std::string strip(std::string_view s) { return lstrip(rstrip(s)); }

std::string capitalize(std::string_view s) {
    std::string out(s);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto c = static_cast<unsigned char>(out[i]);
        if (c < 0x80) out[i] = static_cast<char>(i == 0 ? std::toupper(c) : std::tolower(c));
    }
    return out;
}

std::string replace(std::string_view s, std::string_view from, std::string_view to) {
    if (from.empty()) return std::string(s);
    std::string out;
    std::size_t pos = 0;
    for (;;) {
        const auto hit = s.find(from, pos);
        if (hit == std::string_view::npos) break;
        out.append(s.substr(pos, hit - pos)).append(to);
        pos = hit + from.size();
    }
    return out.append(s.substr(pos));
}

std::vector<std::string> split(std::string_view s, std::string_view sep) {
    std::vector<std::string> parts;
    std::size_t pos = 0;
    for (;;) {
        const auto hit = s.find(sep, pos);
        if (hit == std::string_view::npos) break;
        parts.emplace_back(s.substr(pos, hit - pos));
        pos = hit + sep.size();
    }
    parts.emplace_back(s.substr(pos));
    return parts;
}

std::size_t characters(std::string_view s) {
    std::size_t n = 0;
    for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

} // namespace ol::py
