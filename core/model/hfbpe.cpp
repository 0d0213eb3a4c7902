#include "core/model/hfbpe.h"

#include "core/errors.h"
#include "core/model/utf8.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <queue>

namespace ol {

namespace {

// An optional string field: absent and null read as "".
std::string optionalString(const nlohmann::json& object, const char* key, const std::string& path) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return {};
    if (!it->is_string()) throw FormatError(path + ": model." + key + " is not a string");
    return it->get<std::string>();
}

bool optionalBool(const nlohmann::json& object, const char* key, const std::string& path) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) return false;
    if (!it->is_boolean()) throw FormatError(path + ": model." + key + " is not a boolean");
    return it->get<bool>();
}

} // namespace

HfBpe::HfBpe(const nlohmann::json& model, const std::string& path) {
    const auto vocab = model.find("vocab");
    if (vocab == model.end() || !vocab->is_object()) throw FormatError(path + ": BPE model has no vocab object");
    m_vocab.reserve(vocab->size());
    for (const auto& [token, id] : vocab->items()) {
        // Ids far beyond the entry count would only make the id tables huge.
        if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > int64_t(vocab->size()) + (1 << 20))
            throw FormatError(path + ": vocab entry \"" + token + "\" has an invalid id");
        const auto value = id.get<int32_t>();
        m_vocab.emplace(token, value);
        if (value >= idLimit()) {
            m_tokens.resize(static_cast<size_t>(value) + 1);
            m_hasToken.resize(static_cast<size_t>(value) + 1, 0);
        }
        m_tokens[static_cast<size_t>(value)] = token;
        m_hasToken[static_cast<size_t>(value)] = 1;
    }

    if (!optionalString(model, "continuing_subword_prefix", path).empty() ||
        !optionalString(model, "end_of_word_suffix", path).empty())
        throw FormatError(path + ": BPE continuing_subword_prefix / end_of_word_suffix are not supported");
    // "dropout" is ignored: it only randomises training-time tokenization.
    m_fuseUnk = optionalBool(model, "fuse_unk", path);
    m_byteFallback = optionalBool(model, "byte_fallback", path);
    m_ignoreMerges = optionalBool(model, "ignore_merges", path);
    const std::string unk = optionalString(model, "unk_token", path);
    if (!unk.empty()) {
        m_unkId = find(unk);
        if (m_unkId < 0) throw FormatError(path + ": unk_token \"" + unk + "\" is not in the vocab");
    }
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        m_byteIds[b] = find(name);
    }

    const auto merges = model.find("merges");
    if (merges == model.end() || !merges->is_array()) throw FormatError(path + ": BPE model has no merges array");
    m_merges.reserve(merges->size());
    int32_t rank = 0;
    for (const auto& merge : *merges) {
        // Older files write "a b", newer ones ["a", "b"] (tokens may then
        // contain spaces).
        if (merge.is_string()) {
            const auto& text = merge.get_ref<const std::string&>();
            const size_t space = text.find(' ');
            if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos)
                throw FormatError(path + ": merge " + std::to_string(rank) + " \"" + text + "\" is not two tokens");
            addMerge(text.substr(0, space), text.substr(space + 1), rank, path);
        } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
            addMerge(merge[0].get<std::string>(), merge[1].get<std::string>(), rank, path);
        } else {
            throw FormatError(path + ": merge " + std::to_string(rank) + " is neither \"a b\" nor [a, b]");
        }
        ++rank;
    }
}

void HfBpe::addMerge(const std::string& a, const std::string& b, int32_t rank, const std::string& path) {
    const int32_t ia = find(a), ib = find(b), merged = find(a + b);
    if (ia < 0 || ib < 0 || merged < 0)
        throw FormatError(path + ": merge " + std::to_string(rank) + " (\"" + a + "\", \"" + b +
                          "\") uses a token missing from the vocab");
    // As in the tokenizers library, a repeated pair keeps its last rank.
    m_merges[pairKey(ia, ib)] = {rank, merged};
}

int32_t HfBpe::find(std::string_view token) const {
    const auto it = m_vocab.find(token);
    return it == m_vocab.end() ? -1 : it->second;
}

const std::string* HfBpe::token(int32_t id) const {
    if (id < 0 || id >= idLimit() || !m_hasToken[static_cast<size_t>(id)]) return nullptr;
    return &m_tokens[static_cast<size_t>(id)];
}

const HfBpe::Merge* HfBpe::findMerge(int32_t a, int32_t b) const {
    const auto it = m_merges.find(pairKey(a, b));
    return it == m_merges.end() ? nullptr : &it->second;
}

void HfBpe::tokenize(std::string_view word, std::vector<int32_t>& out) const {
    if (word.empty()) return;
    if (m_ignoreMerges) {
        if (const int32_t id = find(word); id >= 0) {
            out.push_back(id);
            return;
        }
    }

    std::vector<int32_t> ids;
    ids.reserve(word.size());
    bool pendingUnk = false;
    for (size_t pos = 0; pos < word.size();) {
        const size_t length = utf8::decodeAt(word, pos).length;
        const std::string_view ch = word.substr(pos, length);
        pos += length;
        if (const int32_t id = find(ch); id >= 0) {
            if (pendingUnk) ids.push_back(m_unkId);
            pendingUnk = false;
            ids.push_back(id);
            continue;
        }
        if (m_byteFallback) {
            bool all = true;
            for (const char c : ch) all = all && m_byteIds[static_cast<unsigned char>(c)] >= 0;
            if (all) {
                // The tokenizers library leaves a pending <unk> in place here
                // (it lands after these bytes); kept for identical output.
                for (const char c : ch) ids.push_back(m_byteIds[static_cast<unsigned char>(c)]);
                continue;
            }
        }
        // Without an unk_token the tokenizers library silently drops the
        // character; so does this.
        if (m_unkId >= 0) {
            if (pendingUnk && !m_fuseUnk) ids.push_back(m_unkId);
            pendingUnk = true;
        }
    }
    if (pendingUnk) ids.push_back(m_unkId);
    mergeAll(ids);
    out.insert(out.end(), ids.begin(), ids.end());
}

// The tokenizers library's Word::merge_all: a min-heap of (rank, position)
// over a linked list of symbols. An entry is stale unless the pair now at its
// position still merges into the same token, the library's exact test.
void HfBpe::mergeAll(std::vector<int32_t>& ids) const {
    const int32_t n = static_cast<int32_t>(ids.size());
    if (n < 2) return;
    struct Entry {
        int32_t rank, pos, merged;
        bool operator>(const Entry& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
    };
    std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
    std::vector<int32_t> prev(static_cast<size_t>(n)), next(static_cast<size_t>(n));
    std::vector<char> alive(static_cast<size_t>(n), 1);
    for (int32_t i = 0; i < n; ++i) {
        prev[static_cast<size_t>(i)] = i - 1;
        next[static_cast<size_t>(i)] = i + 1 < n ? i + 1 : -1;
    }
    auto at = [&](int32_t i) -> int32_t& { return ids[static_cast<size_t>(i)]; };
    auto consider = [&](int32_t left) {
        const int32_t right = next[static_cast<size_t>(left)];
        if (right < 0) return;
        if (const Merge* m = findMerge(at(left), at(right))) heap.push({m->rank, left, m->merged});
    };
    for (int32_t i = 0; i + 1 < n; ++i) consider(i);

    while (!heap.empty()) {
        const Entry top = heap.top();
        heap.pop();
        const size_t p = static_cast<size_t>(top.pos);
        if (!alive[p] || next[p] < 0) continue;
        const int32_t right = next[p];
        const Merge* m = findMerge(at(top.pos), at(right));
        if (!m || m->merged != top.merged) continue;
        at(top.pos) = top.merged;
        alive[static_cast<size_t>(right)] = 0;
        next[p] = next[static_cast<size_t>(right)];
        if (next[p] >= 0) prev[static_cast<size_t>(next[p])] = top.pos;
        if (prev[p] >= 0) consider(prev[p]);
        consider(top.pos);
    }

    std::vector<int32_t> merged;
    merged.reserve(static_cast<size_t>(n));
    for (int32_t i = 0; i >= 0; i = next[static_cast<size_t>(i)]) merged.push_back(at(i));
    ids.swap(merged);
}

} // namespace ol
