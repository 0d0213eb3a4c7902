#pragma once
// The tokenizer.bin format of Karpathy's llama2.c (int32 max_token_length,
// then per token {float32 score, int32 length, bytes}), encoded exactly as
// llama2.c's run.c does it, but in O(n log n) instead of O(n^2) so that
// whole corpora can be tokenized.
#include "core/model/tokenizer.h"

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ol {

class Llama2cTokenizer final : public Tokenizer {
public:
    // Throws FormatError naming the file on a truncated or implausible file.
    explicit Llama2cTokenizer(const std::string& path);

    std::vector<int32_t> encode(std::string_view text, bool addBos) const override;
    std::string decode(const std::vector<int32_t>& ids) const override;
    std::string tokenText(int32_t id) const override;
    int32_t vocabSize() const override { return static_cast<int32_t>(m_pieces.size()); }
    // llama2.c hard-codes these ids (sentencepiece's defaults).
    int32_t bosId() const override { return 1; }
    int32_t eosId() const override { return 2; }
    std::string kind() const override { return "llama2c"; }
    const std::string& path() const override { return m_path; }

    float score(int32_t id) const;
    int32_t maxTokenLength() const { return m_maxTokenLength; }
    // The id whose piece is exactly `piece`, or -1 (llama2.c's str_lookup).
    int32_t lookup(std::string_view piece) const;

private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };

    void load();
    void checkId(int32_t id) const;
    // Replaces `ids` by the result of llama2.c's greedy pair merging.
    void mergePairs(std::vector<int32_t>& ids) const;

    std::string m_path;
    int32_t m_maxTokenLength = 0;
    std::vector<std::string> m_pieces;
    std::vector<float> m_scores;
    std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> m_ids;
    int32_t m_spaceId = -1; // the dummy prefix " "
};

} // namespace ol
