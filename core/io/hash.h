#pragma once
// 64-bit FNV-1a: a fingerprint for identity checks (resume, sessions), not
// for security.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace ol {

class Fnv64 {
public:
    void add(const void* data, std::size_t size) {
        const auto* p = static_cast<const unsigned char*>(data);
        for (std::size_t i = 0; i < size; ++i) {
            m_state ^= p[i];
            m_state *= 0x100000001b3ULL;
        }
        // Length separator so that ("ab","c") and ("a","bc") differ.
        const std::uint64_t n = size;
        const auto* q = reinterpret_cast<const unsigned char*>(&n);
        for (std::size_t i = 0; i < sizeof n; ++i) {
            m_state ^= q[i];
            m_state *= 0x100000001b3ULL;
        }
    }
    void add(std::string_view s) { add(s.data(), s.size()); }
    std::uint64_t value() const { return m_state; }
    std::string hex() const {
        char buf[17];
        std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(m_state));
        return buf;
    }

private:
    std::uint64_t m_state = 0xcbf29ce484222325ULL;
};

} // namespace ol
