#pragma once
// GPT-2's byte-level alphabet: every byte is given a printable code point so
// that byte-level BPE vocabularies (GPT-2, Llama 3) are plain Unicode strings.
// Printable Latin-1 bytes map to themselves, the 68 others to U+0100...U+0143
// in byte order (space -> 'Ġ', '\n' -> 'Ċ').
#include <string>
#include <string_view>

namespace ol::bytelevel {

char32_t toUnicode(unsigned char byte);

// Each byte of `bytes` as its code point, UTF-8 encoded.
std::string encode(std::string_view bytes);

// The bytes that the byte-level characters of `token` stand for. Returns
// false, leaving `out` untouched, when a character is not in the alphabet.
bool decode(std::string_view token, std::string& out);

} // namespace ol::bytelevel
