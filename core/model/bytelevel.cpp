#include "core/model/bytelevel.h"

#include "core/model/utf8.h"

#include <array>

namespace ol::bytelevel {

namespace {

struct Tables {
    std::array<char32_t, 256> toUnicode{};
    // Inverse over the code points used (all below 0x144); -1 where unused.
    std::array<int, 0x144> toByte{};

    Tables() {
        toByte.fill(-1);
        auto printable = [](int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); };
        char32_t next = 0x100;
        for (int b = 0; b < 256; ++b) {
            const char32_t cp = printable(b) ? static_cast<char32_t>(b) : next++;
            toUnicode[static_cast<size_t>(b)] = cp;
            toByte[cp] = b;
        }
    }
};

const Tables& tables() {
    static const Tables t;
    return t;
}

} // namespace

char32_t toUnicode(unsigned char byte) { return tables().toUnicode[byte]; }

std::string encode(std::string_view bytes) {
    const Tables& t = tables();
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char c : bytes) utf8::append(out, t.toUnicode[static_cast<unsigned char>(c)]);
    return out;
}

bool decode(std::string_view token, std::string& out) {
    const Tables& t = tables();
    std::string bytes;
    bytes.reserve(token.size());
    for (size_t pos = 0; pos < token.size();) {
        const utf8::Char ch = utf8::decodeAt(token, pos);
        if (ch.cp >= t.toByte.size() || t.toByte[ch.cp] < 0) return false;
        bytes.push_back(static_cast<char>(t.toByte[ch.cp]));
        pos += ch.length;
    }
    out += bytes;
    return true;
}

} // namespace ol::bytelevel
