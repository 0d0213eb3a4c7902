#include "core/model/llama2ctokenizer.h"

#include "core/errors.h"
#include "core/model/utf8.h"

#include <cstring>
#include <fstream>
#include <iterator>
#include <queue>

namespace ol {

namespace {

// 3 control tokens (<unk>, <s>, </s>) + 256 byte tokens: byte fallback emits
// byte + 3, so a smaller vocabulary could produce ids it does not have.
constexpr int32_t kMinVocab = 259;
// llama2.c starts its best-score search at this value: pairs scoring at or
// below it never merge.
constexpr float kNoScore = -1e10f;

bool isContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

} // namespace

Llama2cTokenizer::Llama2cTokenizer(const std::string& path) : m_path(path) { load(); }

void Llama2cTokenizer::load() {
    std::ifstream in(m_path, std::ios::binary);
    if (!in) throw FormatError(m_path + ": cannot open llama2.c tokenizer");
    const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw FormatError(m_path + ": read error");

    size_t pos = 0;
    auto readInt = [&](int32_t& v) {
        std::memcpy(&v, data.data() + pos, 4);
        pos += 4;
    };
    if (data.size() < 4) throw FormatError(m_path + ": truncated llama2.c tokenizer (no max_token_length header)");
    readInt(m_maxTokenLength);
    if (m_maxTokenLength <= 0) throw FormatError(m_path + ": invalid max_token_length " + std::to_string(m_maxTokenLength));

    // The vocabulary size is not stored: records run to the end of the file,
    // so a tail that is not a whole record is either trailing bytes or a
    // cut-off file; the message says both.
    while (pos < data.size()) {
        const std::string index = std::to_string(m_pieces.size());
        const size_t recordStart = pos;
        auto incomplete = [&](const std::string& what) {
            return FormatError(m_path + ": " + std::to_string(data.size() - recordStart) + " trailing bytes after " + index +
                               " tokens are not a complete token record (" + what +
                               "): bytes after the last token, or a truncated file");
        };
        if (data.size() - pos < 8) throw incomplete("no room for a score and a length");
        float score;
        std::memcpy(&score, data.data() + pos, 4);
        pos += 4;
        int32_t length;
        readInt(length);
        if (length < 0) throw incomplete("negative length " + std::to_string(length) + " for token " + index);
        if (data.size() - pos < static_cast<size_t>(length))
            throw incomplete("token " + index + " would be " + std::to_string(length) + " bytes long");
        m_pieces.emplace_back(data, pos, static_cast<size_t>(length));
        m_scores.push_back(score);
        pos += static_cast<size_t>(length);
    }
    if (vocabSize() < kMinVocab)
        throw FormatError(m_path + ": only " + std::to_string(vocabSize()) + " tokens; a llama2.c tokenizer needs at least " +
                          std::to_string(kMinVocab) + " (3 control and 256 byte tokens)");

    // llama2.c binary-searches a sorted copy; with duplicate pieces the id it
    // finds is unspecified, so the first one is kept here.
    m_ids.reserve(m_pieces.size());
    for (size_t i = 0; i < m_pieces.size(); ++i) m_ids.emplace(m_pieces[i], static_cast<int32_t>(i));
    m_spaceId = lookup(" ");
}

int32_t Llama2cTokenizer::lookup(std::string_view piece) const {
    const auto it = m_ids.find(piece);
    return it == m_ids.end() ? -1 : it->second;
}

void Llama2cTokenizer::checkId(int32_t id) const {
    if (id < 0 || id >= vocabSize())
        throw UsageError(m_path + ": token id " + std::to_string(id) + " outside the vocabulary of " +
                         std::to_string(vocabSize()));
}

float Llama2cTokenizer::score(int32_t id) const {
    checkId(id);
    return m_scores[static_cast<size_t>(id)];
}

std::string Llama2cTokenizer::tokenText(int32_t id) const {
    checkId(id);
    return m_pieces[static_cast<size_t>(id)];
}

std::vector<int32_t> Llama2cTokenizer::encode(std::string_view text, bool addBos) const {
    std::vector<int32_t> ids;
    ids.reserve(text.size() + 2);
    if (addBos) ids.push_back(bosId());
    // sentencepiece's add_dummy_prefix. llama2.c would push -1 if " " were
    // missing from the vocabulary; that is skipped here instead.
    if (!text.empty() && m_spaceId >= 0) ids.push_back(m_spaceId);

    // Each UTF-8 character (a byte plus at most 3 continuation bytes, not
    // validated further, as in llama2.c) is one token, or its bytes.
    for (size_t i = 0; i < text.size();) {
        size_t len = 1;
        while (len < 4 && i + len < text.size() && isContinuation(static_cast<unsigned char>(text[i + len]))) ++len;
        const std::string_view ch = text.substr(i, len);
        const int32_t id = lookup(ch);
        if (id >= 0) {
            ids.push_back(id);
        } else {
            for (const char c : ch) ids.push_back(static_cast<int32_t>(static_cast<unsigned char>(c)) + 3);
        }
        i += len;
    }
    mergePairs(ids);
    return ids;
}

// llama2.c repeatedly scans for the adjacent pair whose concatenation has the
// highest score (leftmost on ties) and merges it. The same choice sequence is
// made here with a max-heap of candidate pairs keyed by (score, -position)
// over a linked list: merging only changes the pairs next to the merged
// token, and list order equals original index order, so the best valid heap
// entry is always llama2.c's pick. Stale entries are detected with per-node
// generation counters and dropped when popped.
void Llama2cTokenizer::mergePairs(std::vector<int32_t>& ids) const {
    const int32_t n = static_cast<int32_t>(ids.size());
    if (n < 2) return;

    struct Candidate {
        float score;
        int32_t left, right;
        uint32_t leftGen, rightGen;
        int32_t merged;
    };
    auto worse = [](const Candidate& a, const Candidate& b) {
        if (a.score != b.score) return a.score < b.score;
        return a.left > b.left;
    };
    std::priority_queue<Candidate, std::vector<Candidate>, decltype(worse)> heap(worse);

    std::vector<int32_t> prev(static_cast<size_t>(n)), next(static_cast<size_t>(n));
    std::vector<uint32_t> gen(static_cast<size_t>(n), 0);
    std::vector<char> alive(static_cast<size_t>(n), 1);
    for (int32_t i = 0; i < n; ++i) {
        prev[static_cast<size_t>(i)] = i - 1;
        next[static_cast<size_t>(i)] = i + 1 < n ? i + 1 : -1;
    }

    std::string buffer;
    auto consider = [&](int32_t left, int32_t right) {
        if (left < 0 || right < 0) return;
        const size_t l = static_cast<size_t>(left), r = static_cast<size_t>(right);
        buffer.assign(m_pieces[static_cast<size_t>(ids[l])]);
        buffer += m_pieces[static_cast<size_t>(ids[r])];
        const int32_t merged = lookup(buffer);
        if (merged < 0) return;
        const float s = m_scores[static_cast<size_t>(merged)];
        if (!(s > kNoScore)) // also rejects NaN, which never wins in llama2.c
            return;
        heap.push({s, left, right, gen[l], gen[r], merged});
    };

    for (int32_t i = 0; i + 1 < n; ++i) consider(i, i + 1);

    while (!heap.empty()) {
        const Candidate c = heap.top();
        heap.pop();
        const size_t l = static_cast<size_t>(c.left), r = static_cast<size_t>(c.right);
        if (!alive[l] || next[l] != c.right || gen[l] != c.leftGen || gen[r] != c.rightGen) continue;
        ids[l] = c.merged;
        ++gen[l];
        alive[r] = 0;
        next[l] = next[r];
        if (next[r] >= 0) prev[static_cast<size_t>(next[r])] = c.left;
        consider(prev[l], c.left);
        consider(c.left, next[l]);
    }

    std::vector<int32_t> out;
    out.reserve(static_cast<size_t>(n));
    for (int32_t i = 0; i >= 0; i = next[static_cast<size_t>(i)]) out.push_back(ids[static_cast<size_t>(i)]);
    ids.swap(out);
}

std::string Llama2cTokenizer::decode(const std::vector<int32_t>& ids) const {
    std::string out;
    int32_t prevId = -1;
    for (const int32_t id : ids) {
        checkId(id);
        const int32_t before = prevId;
        prevId = id;
        // BOS/EOS delimit sequences; llama2.c never prints them.
        if (id == bosId() || id == eosId()) continue;
        const std::string& piece = m_pieces[static_cast<size_t>(id)];
        const int byte = utf8::bytePiece(piece);
        if (byte >= 0) {
            out.push_back(static_cast<char>(byte));
        } else if (before == bosId() && !piece.empty() && piece[0] == ' ') {
            out.append(piece, 1); // the dummy prefix added by encode
        } else {
            out += piece;
        }
    }
    return out;
}

} // namespace ol
