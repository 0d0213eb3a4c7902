#include "core/model/sentencepiecetokenizer.h"

#include "core/errors.h"
#include "core/model/utf8.h"

#include <algorithm>
#include <cstdio>
#include <queue>

namespace ol {

namespace {

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81"; // "▁"
constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD

// sentencepiece's OneCharLen: the length a UTF-8 lead byte announces.
size_t oneCharLength(unsigned char lead) {
    static constexpr unsigned char kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return kLengths[lead >> 4];
}

int byteValue(const std::string& piece) {
    unsigned value = 0;
    char end = 0;
    if (piece.size() != 6 || std::sscanf(piece.c_str(), "<0x%2X%c", &value, &end) != 2 || end != '>') return -1;
    return static_cast<int>(value);
}

} // namespace

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& path) : m_path(path), m_model(readSentencePieceModel(path)) {
    if (m_model.modelType != SentencePieceModel::ModelType::Bpe)
        throw FormatError(path + ": sentencepiece model type " + std::to_string(static_cast<int>(m_model.modelType)) +
                          " is not supported (only BPE, type 2)");
    if (!m_model.charsMap.empty())
        throw FormatError(path + ": sentencepiece normalization \"" + m_model.normalizerName +
                          "\" is not supported (only identity)");
    if (m_model.treatWhitespaceAsSuffix) throw FormatError(path + ": sentencepiece treat_whitespace_as_suffix is not supported");

    m_byteIds.fill(-1);
    for (size_t i = 0; i < m_model.pieces.size(); ++i) {
        const auto& piece = m_model.pieces[i];
        const auto id = static_cast<int32_t>(i);
        switch (piece.type) {
        case Type::Normal:
        case Type::Unused: m_normal.emplace(piece.text, id); break;
        case Type::UserDefined:
            m_normal.emplace(piece.text, id);
            if (!piece.text.empty()) m_userDefined.push_back(piece.text);
            break;
        case Type::Unknown:
            m_unkId = id;
            m_reserved.emplace(piece.text, id);
            break;
        case Type::Byte:
            if (const int b = byteValue(piece.text); b >= 0) m_byteIds[static_cast<size_t>(b)] = id;
            m_reserved.emplace(piece.text, id);
            break;
        case Type::Control: m_reserved.emplace(piece.text, id); break;
        }
    }
    if (m_unkId < 0) throw FormatError(path + ": sentencepiece model has no unknown piece");
    if (m_model.byteFallback && std::count(m_byteIds.begin(), m_byteIds.end(), -1) > 0)
        throw FormatError(path + ": sentencepiece model uses byte fallback but lacks some <0xNN> pieces");
    // Longest first, for longest-prefix matching.
    std::sort(m_userDefined.begin(), m_userDefined.end(),
              [](const std::string& a, const std::string& b) { return a.size() > b.size(); });

    const int32_t bos = pieceToId(m_model.bosPiece), eos = pieceToId(m_model.eosPiece);
    m_bosId = type(bos) == Type::Control ? bos : -1;
    m_eosId = type(eos) == Type::Control ? eos : -1;
}

int32_t SentencePieceTokenizer::pieceToId(std::string_view piece) const {
    if (const auto it = m_normal.find(piece); it != m_normal.end()) return it->second;
    if (const auto it = m_reserved.find(piece); it != m_reserved.end()) return it->second;
    return m_unkId;
}

size_t SentencePieceTokenizer::userDefinedPrefix(std::string_view text) const {
    for (const std::string& symbol : m_userDefined) {
        if (text.substr(0, symbol.size()) == symbol) return symbol.size();
    }
    return 0;
}

// The identity normalizer of sentencepiece: user-defined symbols and valid
// UTF-8 pass through, an invalid byte becomes U+FFFD; then the whitespace
// rules (extra-space removal, dummy prefix, ' ' -> '▁') apply. Only ' '
// counts as whitespace, as in sentencepiece.
std::string SentencePieceTokenizer::normalize(std::string_view text) const {
    auto prefix = [&](size_t pos, size_t& consumed) -> std::string_view {
        const std::string_view rest = text.substr(pos);
        if (const size_t n = userDefinedPrefix(rest)) {
            consumed = n;
            return rest.substr(0, n);
        }
        const utf8::Char ch = utf8::decodeAt(text, pos);
        consumed = ch.length;
        return ch.cp == utf8::kInvalid ? kReplacement : rest.substr(0, ch.length);
    };
    const bool removeExtra = m_model.removeExtraWhitespaces;
    const std::string_view space = m_model.escapeWhitespaces ? kSpaceSymbol : std::string_view(" ");

    size_t pos = 0, consumed = 0;
    while (removeExtra && pos < text.size() && prefix(pos, consumed) == " ") pos += consumed;
    std::string out;
    if (pos == text.size()) return out;
    out.reserve((text.size() - pos) * 2 + space.size());
    if (m_model.addDummyPrefix) out += space;

    bool previousSpace = removeExtra;
    while (pos < text.size()) {
        std::string_view piece = prefix(pos, consumed);
        while (previousSpace && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
        if (!piece.empty()) {
            for (const char c : piece) {
                if (c == ' ' && m_model.escapeWhitespaces)
                    out += kSpaceSymbol;
                else
                    out += c;
            }
            previousSpace = piece.back() == ' ';
        }
        pos += consumed;
        if (!removeExtra) previousSpace = false;
    }
    while (removeExtra && out.size() >= space.size() && out.compare(out.size() - space.size(), space.size(), space) == 0)
        out.resize(out.size() - space.size());
    return out;
}

// sentencepiece's BPE: characters (user-defined symbols frozen whole), then
// repeatedly merge the adjacent pair whose concatenation is the highest-
// scoring piece (leftmost on ties), with the library's staleness test.
void SentencePieceTokenizer::bpe(const std::string& normalized, std::vector<int32_t>& out) const {
    struct Symbol {
        size_t start, length;
        int32_t prev, next;
        bool frozen;
    };
    std::vector<Symbol> symbols;
    symbols.reserve(normalized.size());
    for (size_t pos = 0; pos < normalized.size();) {
        size_t length = userDefinedPrefix(std::string_view(normalized).substr(pos));
        const bool frozen = length > 0;
        if (!frozen) length = std::min(normalized.size() - pos, oneCharLength(static_cast<unsigned char>(normalized[pos])));
        const auto index = static_cast<int32_t>(symbols.size());
        symbols.push_back({pos, length, index - 1, pos + length < normalized.size() ? index + 1 : -1, frozen});
        pos += length;
    }
    if (symbols.empty()) return;

    struct Pair {
        float score;
        int32_t left, right;
        size_t size;
    };
    auto worse = [](const Pair& a, const Pair& b) { return a.score < b.score || (a.score == b.score && a.left > b.left); };
    std::priority_queue<Pair, std::vector<Pair>, decltype(worse)> agenda(worse);
    auto consider = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const Symbol& l = symbols[static_cast<size_t>(left)];
        const Symbol& r = symbols[static_cast<size_t>(right)];
        if (l.frozen || r.frozen) return;
        const auto it = m_normal.find(std::string_view(normalized).substr(l.start, l.length + r.length));
        if (it == m_normal.end()) return;
        agenda.push({m_model.pieces[static_cast<size_t>(it->second)].score, left, right, l.length + r.length});
    };
    for (size_t i = 1; i < symbols.size(); ++i) consider(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

    while (!agenda.empty()) {
        const Pair top = agenda.top();
        agenda.pop();
        Symbol& l = symbols[static_cast<size_t>(top.left)];
        Symbol& r = symbols[static_cast<size_t>(top.right)];
        if (l.length == 0 || r.length == 0 || l.length + r.length != top.size) continue;
        l.length += r.length;
        l.next = r.next;
        if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = top.left;
        r.length = 0;
        consider(l.prev, top.left);
        consider(top.left, l.next);
    }

    bool previousUnknown = false;
    for (int32_t i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
        const Symbol& s = symbols[static_cast<size_t>(i)];
        const std::string_view piece = std::string_view(normalized).substr(s.start, s.length);
        const int32_t id = pieceToId(piece);
        const bool unknown = type(id) == Type::Unknown;
        if (unknown && m_model.byteFallback) {
            for (const char c : piece) out.push_back(m_byteIds[static_cast<unsigned char>(c)]);
        } else if (!(unknown && previousUnknown)) {
            // Without byte fallback a run of unknown pieces is one <unk>.
            out.push_back(id);
        }
        previousUnknown = unknown && !m_model.byteFallback;
    }
}

std::vector<int32_t> SentencePieceTokenizer::encode(std::string_view text, bool addBos) const {
    std::vector<int32_t> ids;
    if (addBos && m_bosId >= 0) ids.push_back(m_bosId);
    bpe(normalize(text), ids);
    return ids;
}

void SentencePieceTokenizer::checkId(int32_t id) const {
    if (id < 0 || id >= vocabSize())
        throw UsageError(m_path + ": token id " + std::to_string(id) + " outside the vocabulary of " +
                         std::to_string(vocabSize()));
}

std::string SentencePieceTokenizer::decode(const std::vector<int32_t>& ids) const {
    std::string text, bytes;
    // Byte pieces are gathered and emitted per UTF-8 character; each byte of
    // an invalid sequence reads U+FFFD, as in sentencepiece.
    auto flushBytes = [&] {
        for (size_t pos = 0; pos < bytes.size();) {
            const utf8::Char ch = utf8::decodeAt(bytes, pos);
            if (ch.cp == utf8::kInvalid)
                text += kReplacement;
            else
                text.append(bytes, pos, ch.length);
            pos += ch.length;
        }
        bytes.clear();
    };
    for (const int32_t id : ids) {
        checkId(id);
        const auto& piece = m_model.pieces[static_cast<size_t>(id)];
        if (piece.type == Type::Byte) {
            bytes.push_back(static_cast<char>(byteValue(piece.text)));
            continue;
        }
        flushBytes();
        if (piece.type == Type::Control) continue;
        if (piece.type == Type::Unknown) {
            text += m_model.unkSurface;
            continue;
        }
        std::string_view surface = piece.text;
        // The dummy prefix: only while nothing has been written yet.
        if (text.empty() && surface.substr(0, kSpaceSymbol.size()) == kSpaceSymbol) surface.remove_prefix(kSpaceSymbol.size());
        for (size_t pos = 0; pos < surface.size();) {
            if (surface.substr(pos, kSpaceSymbol.size()) == kSpaceSymbol) {
                text += ' ';
                pos += kSpaceSymbol.size();
            } else {
                text += surface[pos++];
            }
        }
    }
    flushBytes();
    return text;
}

std::string SentencePieceTokenizer::tokenText(int32_t id) const {
    checkId(id);
    return m_model.pieces[static_cast<size_t>(id)].text;
}

} // namespace ol
