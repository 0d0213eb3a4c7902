#pragma once
// A Hugging Face tokenizer.json with a BPE model, as shipped with Llama 2 /
// Mistral (Metaspace-style "▁" words with byte fallback) and Llama 3 / GPT-2
// (byte-level BPE after a regex split). Encoding follows the tokenizers
// library: added tokens are cut out of the raw text first, then each
// remaining segment is normalized, pre-tokenized and BPE-merged.
#include "core/model/tokenizer.h"

#include <nlohmann/json_fwd.hpp>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ol {

class HfBpe;
class HfDecoder;
class HfPreTokenizer;

class HfTokenizer final : public Tokenizer {
public:
    // Throws FormatError naming the file for malformed JSON and for models,
    // normalizers, pre-tokenizers, patterns or decoders not supported here.
    explicit HfTokenizer(const std::string& path);
    ~HfTokenizer() override;

    std::vector<int32_t> encode(std::string_view text, bool addBos) const override;
    // Special added tokens are skipped (HF's skip_special_tokens=True).
    std::string decode(const std::vector<int32_t>& ids) const override;
    std::string tokenText(int32_t id) const override;
    int32_t vocabSize() const override;
    int32_t bosId() const override { return m_bosId; }
    int32_t eosId() const override { return m_eosId; }
    std::string kind() const override { return "hf-bpe"; }
    const std::string& path() const override { return m_path; }

private:
    struct AddedToken {
        std::string content;
        int32_t id = -1;
        bool special = false;
        bool lstrip = false;
        bool rstrip = false;
    };
    // A stretch of input: either an added token or text to tokenize.
    struct Segment {
        std::string_view text;
        size_t offset = 0;
        int32_t addedId = -1;
    };

    void parseAddedTokens(const nlohmann::json& root);
    void parseSpecialIds(const nlohmann::json& root);
    int32_t idOf(std::string_view token) const;

    std::vector<Segment> splitAddedTokens(std::string_view text) const;

    std::string m_path;
    std::unique_ptr<HfPreTokenizer> m_preTokenizer;
    std::unique_ptr<HfBpe> m_model;
    std::unique_ptr<HfDecoder> m_decoder;
    std::vector<AddedToken> m_added;
    std::unordered_map<int32_t, size_t> m_addedById;
    // Indices into m_added by first byte, longest first, for HF's
    // leftmost-longest matching.
    std::array<std::vector<size_t>, 256> m_addedByFirstByte;
    int32_t m_bosId = -1;
    int32_t m_eosId = -1;
};

} // namespace ol
