#include "core/model/hfdecoder.h"

#include "core/errors.h"
#include "core/model/bytelevel.h"
#include "core/model/utf8.h"

#include <nlohmann/json.hpp>

namespace ol {

namespace {

std::string replaceAll(const std::string& text, const std::string& from, const std::string& to) {
    if (from.empty()) return text;
    std::string out;
    out.reserve(text.size());
    size_t pos = 0;
    for (size_t hit; (hit = text.find(from, pos)) != std::string::npos; pos = hit + from.size())
        out.append(text, pos, hit - pos).append(to);
    out.append(text, pos);
    return out;
}

std::string stringPattern(const nlohmann::json& d, const std::string& path) {
    const auto pattern = d.find("pattern");
    if (pattern == d.end() || !pattern->contains("String") || !(*pattern)["String"].is_string())
        throw FormatError(path + ": only String patterns are supported in Replace decoders");
    return (*pattern)["String"].get<std::string>();
}

} // namespace

HfDecoder::Step HfDecoder::step(Type type, std::string from, std::string to) {
    Step s;
    s.type = type;
    s.from = std::move(from);
    s.to = std::move(to);
    return s;
}

HfDecoder::HfDecoder(const nlohmann::json& decoder, const std::string& path) {
    if (decoder.is_null())
        m_none = true;
    else
        parse(decoder, path);
}

void HfDecoder::parse(const nlohmann::json& d, const std::string& path) {
    const std::string type = d.value("type", "");
    if (type == "Sequence") {
        for (const auto& inner : d.at("decoders")) parse(inner, path);
    } else if (type == "Replace") {
        m_steps.push_back(step(Type::Replace, stringPattern(d, path), d.value("content", "")));
    } else if (type == "ByteFallback") {
        m_steps.push_back(step(Type::ByteFallback));
    } else if (type == "Fuse") {
        m_steps.push_back(step(Type::Fuse));
    } else if (type == "Strip") {
        Step strip = step(Type::Strip, d.value("content", " "));
        strip.start = d.value("start", 0);
        strip.stop = d.value("stop", 0);
        m_steps.push_back(strip);
    } else if (type == "ByteLevel") {
        m_steps.push_back(step(Type::ByteLevel));
    } else if (type == "Metaspace") {
        Step meta = step(Type::Metaspace, d.value("replacement", "\u2581"), " ");
        // Newer files say prepend_scheme, older ones add_prefix_space.
        if (d.contains("prepend_scheme"))
            meta.prefixRemoved = d.value("prepend_scheme", "always") != "never";
        else
            meta.prefixRemoved = d.value("add_prefix_space", true);
        m_steps.push_back(meta);
    } else {
        throw FormatError(path + ": unsupported decoder type \"" + type + "\"");
    }
}

std::string HfDecoder::decode(std::vector<std::string> tokens) const {
    if (m_none) {
        std::string out;
        for (size_t i = 0; i < tokens.size(); ++i) out += (i ? " " : "") + tokens[i];
        return out;
    }
    for (const Step& step : m_steps) {
        switch (step.type) {
        case Type::Replace:
            for (std::string& t : tokens) t = replaceAll(t, step.from, step.to);
            break;
        case Type::ByteFallback: {
            // Runs of byte tokens become one token of those bytes. HF turns an
            // invalid UTF-8 run into U+FFFD per byte; the raw bytes are kept
            // here so that decode(encode(x)) == x for any input.
            std::vector<std::string> out;
            bool inRun = false;
            for (std::string& t : tokens) {
                const int byte = utf8::bytePiece(t);
                if (byte < 0) {
                    out.push_back(std::move(t));
                    inRun = false;
                    continue;
                }
                if (!inRun) out.emplace_back();
                out.back().push_back(static_cast<char>(byte));
                inRun = true;
            }
            tokens.swap(out);
            break;
        }
        case Type::Fuse: {
            std::string all;
            for (const std::string& t : tokens) all += t;
            tokens.assign(1, all);
            break;
        }
        case Type::Strip:
            for (std::string& t : tokens) {
                const std::string& c = step.from;
                size_t begin = 0, end = t.size();
                for (int i = 0; i < step.start && !c.empty() && end - begin >= c.size() && t.compare(begin, c.size(), c) == 0;
                     ++i)
                    begin += c.size();
                for (int i = 0;
                     i < step.stop && !c.empty() && end - begin >= c.size() && t.compare(end - c.size(), c.size(), c) == 0; ++i)
                    end -= c.size();
                t = t.substr(begin, end - begin);
            }
            break;
        case Type::ByteLevel: {
            // A token with a character outside the byte alphabet (an added
            // token, say) is kept as it is, as HF does.
            std::string all;
            for (const std::string& t : tokens) {
                if (!bytelevel::decode(t, all)) all += t;
            }
            tokens.assign(1, all);
            break;
        }
        case Type::Metaspace:
            // HF drops every replacement character of the first token (not
            // just a leading one) when a prefix was prepended.
            for (size_t i = 0; i < tokens.size(); ++i)
                tokens[i] = replaceAll(tokens[i], step.from, i == 0 && step.prefixRemoved ? "" : step.to);
            break;
        }
    }
    std::string out;
    for (const std::string& t : tokens) out += t;
    return out;
}

} // namespace ol
