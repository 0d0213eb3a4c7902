#pragma once
// The parts of a sentencepiece ModelProto (tokenizer.model) that encoding and
// decoding need, read straight from the protobuf wire format.
//
// Why not libsentencepiece: Debian's build exports its own copy of
// protobuf-lite 3.14, and any process that also loads LibTorch's
// libprotobuf 3.21 crashes while initialising (each calls into the other's
// copy). So core must not reference libsentencepiece at all.
#include <string>
#include <vector>

namespace ol {

struct SentencePieceModel {
    enum class PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };
    enum class ModelType { Unigram = 1, Bpe = 2, Word = 3, Char = 4 };
    struct Piece {
        std::string text;
        float score = 0.f;
        PieceType type = PieceType::Normal;
    };

    std::vector<Piece> pieces;
    // TrainerSpec (defaults as in sentencepiece_model.proto).
    ModelType modelType = ModelType::Unigram;
    bool byteFallback = false;
    bool treatWhitespaceAsSuffix = false;
    std::string unkPiece = "<unk>";
    std::string bosPiece = "<s>";
    std::string eosPiece = "</s>";
    std::string unkSurface = " \xE2\x81\x87 ";
    // NormalizerSpec.
    std::string normalizerName;
    std::string charsMap; // precompiled_charsmap; empty for "identity"
    bool addDummyPrefix = true;
    bool removeExtraWhitespaces = true;
    bool escapeWhitespaces = true;
};

// Throws FormatError naming `path` when the file is missing or is not a
// well-formed ModelProto.
SentencePieceModel readSentencePieceModel(const std::string& path);

} // namespace ol
