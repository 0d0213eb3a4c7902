#include "core/model/pretokenizer.h"

#include "core/errors.h"
#include "core/model/bytelevel.h"

#include <QString>
#include <nlohmann/json.hpp>

namespace ol {

namespace {

using nlohmann::json;

// Builds a new string: replacing in place would be quadratic on whole files.
std::string replaceAll(const std::string& text, const std::string& from, const std::string& to) {
    if (from.empty()) return text;
    std::string out;
    out.reserve(text.size() + text.size() / 4);
    size_t pos = 0;
    for (size_t hit; (hit = text.find(from, pos)) != std::string::npos; pos = hit + from.size())
        out.append(text, pos, hit - pos).append(to);
    out.append(text, pos);
    return out;
}

// Splits before every occurrence of `delimiter` except at the very start
// (HF SplitDelimiterBehavior::MergedWithNext).
std::vector<std::string> splitBefore(const std::string& text, const std::string& delimiter) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t hit = text.find(delimiter, 1); hit != std::string::npos; hit = text.find(delimiter, hit + delimiter.size())) {
        parts.push_back(text.substr(start, hit - start));
        start = hit;
    }
    parts.push_back(text.substr(start));
    return parts;
}

} // namespace

HfPreTokenizer::HfPreTokenizer(const json& normalizer, const json& preTokenizer, const std::string& path) : m_path(path) {
    parseNormalizer(normalizer);
    parseStep(preTokenizer);
}

void HfPreTokenizer::parseNormalizer(const json& n) {
    if (n.is_null()) return;
    const std::string type = n.value("type", "");
    Normalizer step;
    if (type == "Sequence") {
        for (const json& inner : n.at("normalizers")) parseNormalizer(inner);
        return;
    } else if (type == "Prepend") {
        step.type = Normalizer::Type::Prepend;
        step.to = n.at("prepend").get<std::string>();
    } else if (type == "Replace") {
        const json& pattern = n.at("pattern");
        if (!pattern.contains("String"))
            throw FormatError(m_path + ": unsupported Replace normalizer pattern " + pattern.dump() + " (only String)");
        step.type = Normalizer::Type::Replace;
        step.from = pattern["String"].get<std::string>();
        step.to = n.at("content").get<std::string>();
    } else if (type == "NFC") {
        step.type = Normalizer::Type::Nfc;
    } else if (type == "NFD") {
        step.type = Normalizer::Type::Nfd;
    } else if (type == "NFKC") {
        step.type = Normalizer::Type::Nfkc;
    } else if (type == "NFKD") {
        step.type = Normalizer::Type::Nfkd;
    } else {
        throw FormatError(m_path + ": unsupported normalizer type \"" + type + "\"");
    }
    m_normalizers.push_back(std::move(step));
}

void HfPreTokenizer::parseStep(const json& p) {
    if (p.is_null()) return;
    const std::string type = p.value("type", "");
    Step step;
    if (type == "Sequence") {
        for (const json& inner : p.at("pretokenizers")) parseStep(inner);
        return;
    } else if (type == "Split") {
        const json& pattern = p.at("pattern");
        if (!pattern.contains("Regex"))
            throw FormatError(m_path + ": unsupported Split pattern " + pattern.dump() + " (only known regexes)");
        const std::string regex = pattern["Regex"].get<std::string>();
        step.splitter = RegexSplitter::fromPattern(regex);
        if (!step.splitter)
            throw FormatError(m_path + ": unsupported Split pattern \"" + regex + "\" (only the GPT-2 and Llama 3 regexes)");
        if (p.value("behavior", "") != "Isolated" || p.value("invert", false))
            throw FormatError(m_path + ": unsupported Split behavior (only Isolated, not inverted)");
        step.type = Step::Type::Split;
    } else if (type == "ByteLevel") {
        step.type = Step::Type::ByteLevel;
        step.addPrefixSpace = p.value("add_prefix_space", true);
        if (p.value("use_regex", true)) step.splitter = RegexSplitter::gpt2();
    } else if (type == "Metaspace") {
        step.type = Step::Type::Metaspace;
        step.replacement = p.value("replacement", "\u2581");
        step.split = p.value("split", true);
        // Newer files say prepend_scheme, older ones add_prefix_space.
        const std::string scheme = p.contains("prepend_scheme")        ? p.value("prepend_scheme", "always")
                                   : p.value("add_prefix_space", true) ? "always"
                                                                       : "never";
        if (scheme == "always")
            step.prepend = Step::Prepend::Always;
        else if (scheme == "first")
            step.prepend = Step::Prepend::First;
        else if (scheme == "never")
            step.prepend = Step::Prepend::Never;
        else
            throw FormatError(m_path + ": unknown Metaspace prepend_scheme \"" + scheme + "\"");
        if (step.replacement.empty()) throw FormatError(m_path + ": Metaspace with an empty replacement");
    } else {
        throw FormatError(m_path + ": unsupported pre_tokenizer type \"" + type + "\"");
    }
    m_steps.push_back(std::move(step));
}

void HfPreTokenizer::normalize(std::string& text) const {
    for (const Normalizer& n : m_normalizers) {
        switch (n.type) {
        case Normalizer::Type::Prepend:
            if (!text.empty()) text.insert(0, n.to);
            break;
        case Normalizer::Type::Replace: text = replaceAll(text, n.from, n.to); break;
        case Normalizer::Type::Nfc:
        case Normalizer::Type::Nfd:
        case Normalizer::Type::Nfkc:
        case Normalizer::Type::Nfkd: {
            const auto form = n.type == Normalizer::Type::Nfc    ? QString::NormalizationForm_C
                              : n.type == Normalizer::Type::Nfd  ? QString::NormalizationForm_D
                              : n.type == Normalizer::Type::Nfkc ? QString::NormalizationForm_KC
                                                                 : QString::NormalizationForm_KD;
            text = QString::fromUtf8(text.data(), static_cast<qsizetype>(text.size())).normalized(form).toStdString();
            break;
        }
        }
    }
}

std::vector<std::string> HfPreTokenizer::words(std::string_view segment, bool atStart) const {
    std::string text(segment);
    normalize(text);
    std::vector<Piece> pieces;
    pieces.push_back({std::move(text), atStart});
    for (const Step& step : m_steps) {
        std::vector<Piece> next;
        // Only the first piece of a segment keeps the segment's atStart.
        auto add = [&](std::string word, bool& first) {
            next.push_back({std::move(word), first});
            first = false;
        };
        for (Piece& piece : pieces) {
            bool first = piece.atStart;
            switch (step.type) {
            case Step::Type::Split:
                for (const std::string_view part : step.splitter->split(piece.text)) add(std::string(part), first);
                break;
            case Step::Type::ByteLevel:
                if (step.addPrefixSpace && !piece.text.empty() && piece.text[0] != ' ') piece.text.insert(0, 1, ' ');
                if (!step.splitter) {
                    add(bytelevel::encode(piece.text), first);
                    break;
                }
                for (const std::string_view part : step.splitter->split(piece.text)) add(bytelevel::encode(part), first);
                break;
            case Step::Type::Metaspace: {
                std::string t = replaceAll(piece.text, " ", step.replacement);
                const bool prepend =
                    step.prepend == Step::Prepend::Always || (step.prepend == Step::Prepend::First && piece.atStart);
                if (prepend && t.compare(0, step.replacement.size(), step.replacement) != 0) t.insert(0, step.replacement);
                if (!step.split) {
                    add(std::move(t), first);
                    break;
                }
                for (std::string& part : splitBefore(t, step.replacement)) add(std::move(part), first);
                break;
            }
            }
        }
        pieces.swap(next);
    }

    std::vector<std::string> out;
    out.reserve(pieces.size());
    for (Piece& piece : pieces) {
        if (!piece.text.empty()) out.push_back(std::move(piece.text));
    }
    return out;
}

} // namespace ol
