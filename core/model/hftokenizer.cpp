#include "core/model/hftokenizer.h"

#include "core/errors.h"
#include "core/model/hfbpe.h"
#include "core/model/hfdecoder.h"
#include "core/model/pretokenizer.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace ol {

namespace {

using nlohmann::json;

const json& member(const json& object, const char* key) {
    static const json null;
    const auto it = object.find(key);
    return it == object.end() ? null : *it;
}

bool asciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

} // namespace

HfTokenizer::HfTokenizer(const std::string& path) : m_path(path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FormatError(path + ": cannot open tokenizer.json");
    json root;
    try {
        root = json::parse(in);
    } catch (const json::exception& e) {
        throw FormatError(path + ": not valid JSON (" + e.what() + ")");
    }
    if (!root.is_object() || !member(root, "model").is_object())
        throw FormatError(path + ": no \"model\" object; not a tokenizer.json");

    const json& model = member(root, "model");
    const json& typeValue = member(model, "type");
    // Very old files omit the type; only BPE has merges.
    const std::string type = typeValue.is_string() ? typeValue.get<std::string>() : model.contains("merges") ? "BPE" : "?";
    if (type != "BPE") throw FormatError(path + ": unsupported tokenizer model type \"" + type + "\" (only BPE is supported)");

    try {
        m_model = std::make_unique<HfBpe>(model, path);
        parseAddedTokens(root);
        m_preTokenizer = std::make_unique<HfPreTokenizer>(member(root, "normalizer"), member(root, "pre_tokenizer"), path);
        m_decoder = std::make_unique<HfDecoder>(member(root, "decoder"), path);
        parseSpecialIds(root);
    } catch (const json::exception& e) {
        throw FormatError(path + ": unexpected tokenizer.json structure (" + e.what() + ")");
    }
}

HfTokenizer::~HfTokenizer() = default;

void HfTokenizer::parseAddedTokens(const json& root) {
    for (const json& t : member(root, "added_tokens")) {
        AddedToken token;
        token.content = t.at("content").get<std::string>();
        token.id = t.at("id").get<int32_t>();
        token.special = t.value("special", false);
        token.lstrip = t.value("lstrip", false);
        token.rstrip = t.value("rstrip", false);
        if (token.content.empty() || token.id < 0) throw FormatError(m_path + ": added token with empty content or negative id");
        m_addedById[token.id] = m_added.size();
        m_added.push_back(std::move(token));
    }
    for (size_t i = 0; i < m_added.size(); ++i)
        m_addedByFirstByte[static_cast<unsigned char>(m_added[i].content[0])].push_back(i);
    for (auto& list : m_addedByFirstByte)
        std::stable_sort(list.begin(), list.end(),
                         [&](size_t a, size_t b) { return m_added[a].content.size() > m_added[b].content.size(); });
}

int32_t HfTokenizer::idOf(std::string_view token) const {
    for (const AddedToken& t : m_added) {
        if (t.content == token) return t.id;
    }
    return m_model->find(token);
}

void HfTokenizer::parseSpecialIds(const json& root) {
    // The TemplateProcessing that adds BOS (possibly inside a Sequence).
    const json* templ = nullptr;
    auto findTemplate = [&](const json& p, auto&& self) -> void {
        if (!p.is_object()) return;
        const std::string type = p.value("type", "");
        if (type == "TemplateProcessing" && !templ)
            templ = &p;
        else if (type == "Sequence")
            for (const json& inner : member(p, "processors")) self(inner, self);
    };
    findTemplate(member(root, "post_processor"), findTemplate);

    auto specialId = [&](const json& item) -> int32_t {
        const json& special = member(item, "SpecialToken");
        if (!special.is_object()) return -1;
        const std::string name = special.at("id").get<std::string>();
        const json& ids = member(member(*templ, "special_tokens"), name.c_str());
        const json& list = member(ids, "ids");
        if (list.is_array() && !list.empty()) return list[0].get<int32_t>();
        return idOf(name);
    };
    if (templ) {
        const json& single = member(*templ, "single");
        if (single.is_array() && !single.empty()) {
            m_bosId = specialId(single.front());
            if (single.size() > 1) m_eosId = specialId(single.back());
        }
    }
    for (const char* name : {"<s>", "<|begin_of_text|>"}) {
        if (m_bosId < 0) m_bosId = idOf(name);
    }
    for (const char* name : {"</s>", "<|end_of_text|>", "<|eot_id|>", "<|endoftext|>"}) {
        if (m_eosId < 0) m_eosId = idOf(name);
    }
    // A template may name ids the vocabulary lacks (found by fuzz-hftokenizer: every encode then began
    // with an id the model's embedding does not have).
    for (const auto& [what, id] : {std::pair{"BOS", m_bosId}, std::pair{"EOS", m_eosId}})
        if (id >= vocabSize())
            throw FormatError(m_path + ": the post_processor's " + what + " token has id " + std::to_string(id) +
                              ", outside the vocabulary of " + std::to_string(vocabSize()) + " (model.vocab and added_tokens)");
}

std::vector<HfTokenizer::Segment> HfTokenizer::splitAddedTokens(std::string_view text) const {
    std::vector<Segment> segments;
    size_t start = 0; // of the pending plain-text segment
    for (size_t pos = 0; pos < text.size();) {
        const AddedToken* hit = nullptr;
        for (const size_t index : m_addedByFirstByte[static_cast<unsigned char>(text[pos])]) {
            const AddedToken& t = m_added[index];
            if (text.compare(pos, t.content.size(), t.content) == 0) {
                hit = &t;
                break;
            }
        }
        if (!hit) {
            ++pos;
            continue;
        }
        size_t before = pos;
        while (hit->lstrip && before > start && asciiSpace(text[before - 1])) --before;
        if (before > start) segments.push_back({text.substr(start, before - start), start, -1});
        segments.push_back({text.substr(pos, hit->content.size()), pos, hit->id});
        pos += hit->content.size();
        while (hit->rstrip && pos < text.size() && asciiSpace(text[pos])) ++pos;
        start = pos;
    }
    if (start < text.size()) segments.push_back({text.substr(start), start, -1});
    return segments;
}

std::vector<int32_t> HfTokenizer::encode(std::string_view text, bool addBos) const {
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3 + 2);
    if (addBos && m_bosId >= 0) ids.push_back(m_bosId);
    // Natural text repeats its words: BPE-merging each distinct word once
    // makes whole-corpus encoding several times faster.
    std::unordered_map<std::string, std::vector<int32_t>> cache;
    for (const Segment& segment : splitAddedTokens(text)) {
        if (segment.addedId >= 0) {
            ids.push_back(segment.addedId);
            continue;
        }
        for (std::string& word : m_preTokenizer->words(segment.text, segment.offset == 0)) {
            auto it = cache.find(word);
            if (it == cache.end()) {
                if (cache.size() > 200000) // bound memory on pathological input
                    cache.clear();
                std::vector<int32_t> wordIds;
                m_model->tokenize(word, wordIds);
                it = cache.emplace(std::move(word), std::move(wordIds)).first;
            }
            ids.insert(ids.end(), it->second.begin(), it->second.end());
        }
    }
    return ids;
}

std::string HfTokenizer::decode(const std::vector<int32_t>& ids) const {
    std::vector<std::string> tokens;
    tokens.reserve(ids.size());
    for (const int32_t id : ids) {
        if (id < 0 || id >= vocabSize())
            throw UsageError(m_path + ": token id " + std::to_string(id) + " outside the vocabulary of " +
                             std::to_string(vocabSize()));
        if (const auto it = m_addedById.find(id); it != m_addedById.end()) {
            if (!m_added[it->second].special) tokens.push_back(m_added[it->second].content);
        } else if (const std::string* token = m_model->token(id)) {
            tokens.push_back(*token);
        }
    }
    return m_decoder->decode(std::move(tokens));
}

std::string HfTokenizer::tokenText(int32_t id) const {
    if (id < 0 || id >= vocabSize())
        throw UsageError(m_path + ": token id " + std::to_string(id) + " outside the vocabulary of " +
                         std::to_string(vocabSize()));
    if (const auto it = m_addedById.find(id); it != m_addedById.end()) return m_added[it->second].content;
    const std::string* token = m_model->token(id);
    return token ? *token : std::string();
}

int32_t HfTokenizer::vocabSize() const {
    int32_t size = m_model->idLimit();
    for (const AddedToken& t : m_added) size = std::max(size, t.id + 1);
    return size;
}

} // namespace ol
