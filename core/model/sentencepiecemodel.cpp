#include "core/model/sentencepiecemodel.h"

#include "core/errors.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

namespace ol {

namespace {

// A protobuf message being read field by field. Unknown fields are skipped,
// so newer model files with extra fields still load.
class Reader {
public:
    Reader(std::string_view data, const std::string& path) : m_data(data), m_path(path) {}

    bool atEnd() const { return m_pos >= m_data.size(); }

    // Reads a field key; returns the field number and sets the wire type.
    uint32_t key(int& wireType) {
        const uint64_t k = varint();
        wireType = static_cast<int>(k & 7);
        return static_cast<uint32_t>(k >> 3);
    }

    uint64_t varint() {
        uint64_t value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (atEnd()) fail("truncated varint");
            const auto b = static_cast<unsigned char>(m_data[m_pos++]);
            value |= static_cast<uint64_t>(b & 0x7F) << shift;
            if (!(b & 0x80)) return value;
        }
        fail("varint too long");
    }

    std::string_view bytes() {
        const uint64_t length = varint();
        if (length > m_data.size() - m_pos) fail("truncated length-delimited field");
        const std::string_view out = m_data.substr(m_pos, static_cast<size_t>(length));
        m_pos += static_cast<size_t>(length);
        return out;
    }

    float fixed32Float() {
        if (m_data.size() - m_pos < 4) fail("truncated fixed32 field");
        float f;
        std::memcpy(&f, m_data.data() + m_pos, 4);
        m_pos += 4;
        return f;
    }

    void skip(int wireType) {
        switch (wireType) {
        case 0: varint(); break;
        case 1: advance(8); break;
        case 2: bytes(); break;
        case 5: advance(4); break;
        default: fail("unsupported wire type " + std::to_string(wireType));
        }
    }

    void expect(int wireType, int wanted) {
        if (wireType != wanted) fail("unexpected wire type " + std::to_string(wireType));
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw FormatError(m_path + ": not a sentencepiece model (" + what + ")");
    }

private:
    void advance(size_t n) {
        if (m_data.size() - m_pos < n) fail("truncated field");
        m_pos += n;
    }

    std::string_view m_data;
    const std::string& m_path;
    size_t m_pos = 0;
};

SentencePieceModel::Piece readPiece(std::string_view data, const std::string& path) {
    Reader r(data, path);
    SentencePieceModel::Piece piece;
    while (!r.atEnd()) {
        int wire;
        switch (r.key(wire)) {
        case 1:
            r.expect(wire, 2);
            piece.text = std::string(r.bytes());
            break;
        case 2:
            r.expect(wire, 5);
            piece.score = r.fixed32Float();
            break;
        case 3: {
            r.expect(wire, 0);
            const uint64_t type = r.varint();
            if (type < 1 || type > 6) r.fail("unknown piece type " + std::to_string(type));
            piece.type = static_cast<SentencePieceModel::PieceType>(type);
            break;
        }
        default: r.skip(wire);
        }
    }
    return piece;
}

void readTrainerSpec(std::string_view data, const std::string& path, SentencePieceModel& model) {
    Reader r(data, path);
    while (!r.atEnd()) {
        int wire;
        const uint32_t field = r.key(wire);
        auto flag = [&] {
            r.expect(wire, 0);
            return r.varint() != 0;
        };
        auto text = [&] {
            r.expect(wire, 2);
            return std::string(r.bytes());
        };
        switch (field) {
        case 3:
            r.expect(wire, 0);
            model.modelType = static_cast<SentencePieceModel::ModelType>(r.varint());
            break;
        case 24: model.treatWhitespaceAsSuffix = flag(); break;
        case 35: model.byteFallback = flag(); break;
        case 44: model.unkSurface = text(); break;
        case 45: model.unkPiece = text(); break;
        case 46: model.bosPiece = text(); break;
        case 47: model.eosPiece = text(); break;
        default: r.skip(wire);
        }
    }
}

void readNormalizerSpec(std::string_view data, const std::string& path, SentencePieceModel& model) {
    Reader r(data, path);
    while (!r.atEnd()) {
        int wire;
        const uint32_t field = r.key(wire);
        auto flag = [&] {
            r.expect(wire, 0);
            return r.varint() != 0;
        };
        switch (field) {
        case 1:
            r.expect(wire, 2);
            model.normalizerName = std::string(r.bytes());
            break;
        case 2:
            r.expect(wire, 2);
            model.charsMap = std::string(r.bytes());
            break;
        case 3: model.addDummyPrefix = flag(); break;
        case 4: model.removeExtraWhitespaces = flag(); break;
        case 5: model.escapeWhitespaces = flag(); break;
        default: r.skip(wire);
        }
    }
}

} // namespace

SentencePieceModel readSentencePieceModel(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError(path + ": cannot open sentencepiece model");
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

    SentencePieceModel model;
    Reader r(data, path);
    while (!r.atEnd()) {
        int wire;
        const uint32_t field = r.key(wire);
        if (field >= 1 && field <= 3) r.expect(wire, 2);
        switch (field) {
        case 1: model.pieces.push_back(readPiece(r.bytes(), path)); break;
        case 2: readTrainerSpec(r.bytes(), path, model); break;
        case 3: readNormalizerSpec(r.bytes(), path, model); break;
        default: r.skip(wire);
        }
    }
    if (model.pieces.empty()) throw FormatError(path + ": not a sentencepiece model (no pieces)");
    return model;
}

} // namespace ol
