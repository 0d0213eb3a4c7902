#pragma once
// A sentencepiece tokenizer.model (LLaMA 1/2, Mistral) of type BPE with the
// "identity" normalizer, encoded and decoded as libsentencepiece does it
// (normalization, score-ordered pair merging, byte fallback). See
// sentencepiecemodel.h for why the library itself is not used.
#include "core/model/sentencepiecemodel.h"
#include "core/model/tokenizer.h"

#include <array>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ol {

class SentencePieceTokenizer final : public Tokenizer {
public:
    // Throws FormatError naming the file when it is not a sentencepiece model
    // or uses a model type / normalization not supported here.
    explicit SentencePieceTokenizer(const std::string& path);

    std::vector<int32_t> encode(std::string_view text, bool addBos) const override;
    // Like SentencePieceProcessor::DecodeIds: control tokens vanish, <unk>
    // reads " ⁇ ", the leading "▁" of the text is dropped.
    std::string decode(const std::vector<int32_t>& ids) const override;
    std::string tokenText(int32_t id) const override;
    int32_t vocabSize() const override { return static_cast<int32_t>(m_model.pieces.size()); }
    int32_t bosId() const override { return m_bosId; }
    int32_t eosId() const override { return m_eosId; }
    std::string kind() const override { return "sentencepiece"; }
    const std::string& path() const override { return m_path; }

private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    using PieceMap = std::unordered_map<std::string, int32_t, Hash, std::equal_to<>>;
    using Type = SentencePieceModel::PieceType;

    void checkId(int32_t id) const;
    Type type(int32_t id) const { return m_model.pieces[static_cast<size_t>(id)].type; }
    // sentencepiece's PieceToId: normal pieces, then reserved ones, else <unk>.
    int32_t pieceToId(std::string_view piece) const;
    // Length of the user-defined symbol at the start of `text`, or 0.
    size_t userDefinedPrefix(std::string_view text) const;
    std::string normalize(std::string_view text) const;
    void bpe(const std::string& normalized, std::vector<int32_t>& out) const;

    std::string m_path;
    SentencePieceModel m_model;
    PieceMap m_normal;   // normal, user-defined and unused pieces (mergeable)
    PieceMap m_reserved; // control, unknown and byte pieces
    std::vector<std::string> m_userDefined;
    std::array<int32_t, 256> m_byteIds{};
    int32_t m_unkId = -1;
    int32_t m_bosId = -1;
    int32_t m_eosId = -1;
};

} // namespace ol
