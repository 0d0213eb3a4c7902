#pragma once
// The "normalizer" and "pre_tokenizer" of a Hugging Face tokenizer.json: turn
// one stretch of input text (between added tokens) into the words that the
// BPE model merges. Supported: normalizers Prepend, Replace (String), NFC,
// NFD, NFKC, NFKD; pre-tokenizers Split (known regexes, Isolated), ByteLevel
// and Metaspace; Sequence of either.
#include "core/model/regexsplitter.h"

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ol {

class HfPreTokenizer {
public:
    // Throws FormatError naming `path` for unsupported types or patterns.
    HfPreTokenizer(const nlohmann::json& normalizer, const nlohmann::json& preTokenizer, const std::string& path);

    // `atStart`: the segment begins at offset 0 of the whole input (Metaspace
    // prepend_scheme "first" only adds its "▁" there). Empty words are dropped.
    std::vector<std::string> words(std::string_view segment, bool atStart) const;

private:
    struct Normalizer {
        enum class Type { Prepend, Replace, Nfc, Nfd, Nfkc, Nfkd } type = Type::Prepend;
        std::string from, to; // Prepend uses `to`
    };
    struct Step {
        enum class Type { Split, ByteLevel, Metaspace } type = Type::Split;
        std::optional<RegexSplitter> splitter; // Split, or ByteLevel with use_regex
        bool addPrefixSpace = false;           // ByteLevel
        std::string replacement;               // Metaspace
        enum class Prepend { Always, First, Never } prepend = Prepend::Always;
        bool split = true; // Metaspace: a new word before each replacement
    };
    struct Piece {
        std::string text;
        bool atStart;
    };

    void parseNormalizer(const nlohmann::json& n);
    void parseStep(const nlohmann::json& p);
    void normalize(std::string& text) const;

    std::string m_path;
    std::vector<Normalizer> m_normalizers;
    std::vector<Step> m_steps;
};

} // namespace ol
