#include "core/model/regexsplitter.h"

#include "core/model/utf8.h"

#include <QChar>

namespace ol {

namespace {

constexpr std::string_view kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Unicode White_Space, which is what \s means in Oniguruma and Rust regex.
bool isWhitespace(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// The text as characters, with the classes the patterns test. A byte that is
// not valid UTF-8 is a character of none of the classes.
struct Chars {
    enum : unsigned char { Letter = 1, Number = 2, Space = 4, Newline = 8 };
    std::vector<char32_t> cp;
    std::vector<unsigned char> cls;
    std::vector<size_t> offset; // byte offset of each character, plus the end

    explicit Chars(std::string_view text) {
        cp.reserve(text.size());
        cls.reserve(text.size());
        offset.reserve(text.size() + 1);
        for (size_t pos = 0; pos < text.size();) {
            const utf8::Char ch = utf8::decodeAt(text, pos);
            unsigned char c = 0;
            if (ch.cp < 0x80) {
                const char a = static_cast<char>(ch.cp);
                if ((a >= 'a' && a <= 'z') || (a >= 'A' && a <= 'Z'))
                    c = Letter;
                else if (a >= '0' && a <= '9')
                    c = Number;
            } else if (ch.cp != utf8::kInvalid) {
                if (QChar::isLetter(ch.cp))
                    c = Letter;
                else if (QChar::isNumber(ch.cp))
                    c = Number;
            }
            if (ch.cp != utf8::kInvalid && isWhitespace(ch.cp)) c |= Space;
            if (ch.cp == '\r' || ch.cp == '\n') c |= Newline;
            cp.push_back(ch.cp);
            cls.push_back(c);
            offset.push_back(pos);
            pos += ch.length;
        }
        offset.push_back(text.size());
    }

    size_t size() const { return cp.size(); }
    bool is(size_t i, unsigned char c) const { return i < cp.size() && (cls[i] & c); }
    bool letter(size_t i) const { return is(i, Letter); }
    bool number(size_t i) const { return is(i, Number); }
    bool space(size_t i) const { return is(i, Space); }
    bool newline(size_t i) const { return is(i, Newline); }
    // [^\s\p{L}\p{N}]
    bool other(size_t i) const { return i < cp.size() && !(cls[i] & (Letter | Number | Space)); }
    char32_t at(size_t i) const { return i < cp.size() ? cp[i] : 0; }
    char32_t lowerAt(size_t i) const {
        const char32_t c = at(i);
        return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }
    size_t runEnd(size_t i, unsigned char c) const {
        while (is(i, c)) ++i;
        return i;
    }
};

// 's|'t|'re|'ve|'m|'ll|'d at i; returns the end or 0. The case-insensitive
// form of Llama 3 only folds ASCII letters.
size_t contraction(const Chars& t, size_t i, bool ignoreCase) {
    if (t.at(i) != '\'') return 0;
    auto ch = [&](size_t k) { return ignoreCase ? t.lowerAt(k) : t.at(k); };
    const char32_t a = ch(i + 1);
    if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
    const char32_t b = ch(i + 2);
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return i + 3;
    return 0;
}

// \s+(?!\S)|\s+ at i (which is whitespace): the run, less its last character
// when a non-space follows and the run has more than one.
size_t trailingSpaces(const Chars& t, size_t i) {
    const size_t end = t.runEnd(i, Chars::Space);
    if (end == t.size() || end - i == 1) return end;
    return end - 1;
}

size_t matchGpt2(const Chars& t, size_t i) {
    if (const size_t end = contraction(t, i, false)) return end;
    const size_t afterSpace = t.at(i) == ' ' ? i + 1 : i;
    // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: each first with the space.
    if (t.letter(afterSpace)) return t.runEnd(afterSpace, Chars::Letter);
    if (t.number(afterSpace)) return t.runEnd(afterSpace, Chars::Number);
    if (t.other(afterSpace)) {
        size_t j = afterSpace;
        while (t.other(j)) ++j;
        return j;
    }
    // Without the optional space these three cannot match at a space either.
    return trailingSpaces(t, i);
}

size_t matchLlama3(const Chars& t, size_t i, int maxDigits) {
    if (const size_t end = contraction(t, i, true)) return end;
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (!t.letter(i) && !t.number(i) && !t.newline(i) && t.letter(i + 1)) return t.runEnd(i + 1, Chars::Letter);
    if (t.letter(i)) return t.runEnd(i, Chars::Letter);
    // \p{N}{1,maxDigits}
    if (t.number(i)) {
        size_t j = i;
        while (t.number(j) && j - i < static_cast<size_t>(maxDigits)) ++j;
        return j;
    }
    // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
    const size_t start = t.at(i) == ' ' && t.other(i + 1) ? i + 1 : i;
    if (t.other(start)) {
        size_t j = start;
        while (t.other(j)) ++j;
        return t.runEnd(j, Chars::Newline);
    }
    // \s*[\r\n]+: backtracking from the greedy \s* ends the match just after
    // the last newline of the whitespace run.
    const size_t end = t.runEnd(i, Chars::Space);
    for (size_t j = end; j > i; --j) {
        if (t.newline(j - 1)) return j;
    }
    return trailingSpaces(t, i);
}

} // namespace

std::optional<RegexSplitter> RegexSplitter::fromPattern(std::string_view pattern) {
    if (pattern == kGpt2Pattern) return gpt2();
    if (pattern == kLlama3Pattern) return llama3(3);
    if (pattern == kQwen2Pattern) return llama3(1);
    return std::nullopt;
}

std::vector<std::string_view> RegexSplitter::split(std::string_view text) const {
    const Chars chars(text);
    std::vector<std::string_view> pieces;
    for (size_t i = 0; i < chars.size();) {
        size_t end = m_kind == Kind::Gpt2 ? matchGpt2(chars, i) : matchLlama3(chars, i, m_maxDigits);
        if (end <= i) // cannot happen: every character matches some branch
            end = i + 1;
        pieces.push_back(text.substr(chars.offset[i], chars.offset[end] - chars.offset[i]));
        i = end;
    }
    return pieces;
}

} // namespace ol
