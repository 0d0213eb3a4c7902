#pragma once
// Hand-written equivalents of the pre-tokenization regexes of byte-level BPE
// tokenizers (the patterns use \p{L}/\p{N}, which std::regex cannot do).
// A pattern is recognised from its exact text; each splitter cuts the text
// into consecutive pieces exactly where the regex's successive leftmost
// matches would (HF Split with behavior "Isolated").
#include <optional>
#include <string_view>
#include <vector>

namespace ol {

class RegexSplitter {
public:
    enum class Kind {
        // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
        Gpt2,
        // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
        // (Llama 3); also with \p{N} instead of \p{N}{1,3} (Qwen 2).
        Llama3,
    };

    static RegexSplitter gpt2() { return RegexSplitter(Kind::Gpt2, 0); }
    static RegexSplitter llama3(int maxDigits = 3) { return RegexSplitter(Kind::Llama3, maxDigits); }
    // The splitter for a pattern string as written in tokenizer.json, or
    // nullopt when the pattern is not one of the supported ones.
    static std::optional<RegexSplitter> fromPattern(std::string_view pattern);

    Kind kind() const { return m_kind; }
    // Consecutive pieces covering all of `text` (views into it).
    std::vector<std::string_view> split(std::string_view text) const;

private:
    RegexSplitter(Kind kind, int maxDigits) : m_kind(kind), m_maxDigits(maxDigits) {}

    Kind m_kind;
    int m_maxDigits; // the N of \p{N}{1,N} (Llama3 only)
};

} // namespace ol
