#pragma once
// The "model" part of a Hugging Face tokenizer.json of type BPE: vocabulary,
// ranked merges, unknown-token and byte-fallback handling. It tokenizes one
// pre-tokenized word exactly like the tokenizers library (lowest merge rank
// first, leftmost on ties).
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ol {

class HfBpe {
public:
    // `model` is the tokenizer.json "model" object; `path` names the file in
    // FormatError messages.
    HfBpe(const nlohmann::json& model, const std::string& path);

    // Appends the ids of `word` (already normalized and pre-tokenized) to `out`.
    void tokenize(std::string_view word, std::vector<int32_t>& out) const;

    // The id of a vocabulary entry, or -1.
    int32_t find(std::string_view token) const;
    // One past the highest id in the vocabulary.
    int32_t idLimit() const { return static_cast<int32_t>(m_tokens.size()); }
    // The vocabulary entry for an id, or nullptr where the id has none.
    const std::string* token(int32_t id) const;
    bool byteFallback() const { return m_byteFallback; }

private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    struct Merge {
        int32_t rank;
        int32_t merged;
    };

    static uint64_t pairKey(int32_t a, int32_t b) {
        return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
    }
    const Merge* findMerge(int32_t a, int32_t b) const;
    void addMerge(const std::string& a, const std::string& b, int32_t rank, const std::string& path);
    void mergeAll(std::vector<int32_t>& ids) const;

    std::unordered_map<std::string, int32_t, Hash, std::equal_to<>> m_vocab;
    std::vector<std::string> m_tokens;
    std::vector<char> m_hasToken;
    std::unordered_map<uint64_t, Merge> m_merges;
    int32_t m_unkId = -1;
    bool m_fuseUnk = false;
    bool m_byteFallback = false;
    bool m_ignoreMerges = false;
    int32_t m_byteIds[256];
};

} // namespace ol
