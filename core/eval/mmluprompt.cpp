#include "core/eval/mmluprompt.h"

#include "core/errors.h"
#include "core/model/tokenizer.h"

#include <algorithm>

namespace ol {

std::string mmluSubjectTitle(const std::string& subject) {
    std::string out;
    std::size_t begin = 0;
    for (;;) { // like Python's str.split("_"): empty words between repeated separators are kept
        const auto end = subject.find('_', begin);
        out += ' ';
        out += subject.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
        if (end == std::string::npos) return out;
        begin = end + 1;
    }
}

std::string mmluExample(const MmluQuestion& q, bool withAnswer) {
    std::string out = q.question;
    for (int i = 0; i < 4; ++i) {
        out += "\n";
        out += static_cast<char>('A' + i);
        out += ". ";
        out += q.choices[static_cast<std::size_t>(i)];
    }
    out += "\nAnswer:";
    if (withAnswer) {
        out += ' ';
        out += static_cast<char>('A' + q.answer);
        out += "\n\n";
    }
    return out;
}

std::string mmluPrompt(const std::string& subject, const std::vector<MmluQuestion>& dev, std::int64_t k,
                       const MmluQuestion& question) {
    if (k < 0 || k > static_cast<std::int64_t>(dev.size()))
        throw UsageError("MMLU prompt for " + subject + ": " + std::to_string(k) + " shots asked, " + std::to_string(dev.size()) +
                         " dev examples loaded");
    std::string out = "The following are multiple choice questions (with answers) about " + mmluSubjectTitle(subject) + ".\n\n";
    for (std::int64_t i = 0; i < k; ++i) out += mmluExample(dev[static_cast<std::size_t>(i)], true);
    return out + mmluExample(question, false);
}

std::array<std::int32_t, 4> mmluAnswerTokens(const Tokenizer& tokenizer) {
    std::array<std::int32_t, 4> ids{};
    for (int i = 0; i < 4; ++i) {
        const std::string letter(1, static_cast<char>('A' + i));
        const auto encoded = tokenizer.encode(letter, false);
        if (encoded.empty()) throw FormatError(tokenizer.path() + ": the tokenizer encodes \"" + letter + "\" as no tokens");
        ids[static_cast<std::size_t>(i)] = encoded.back();
    }
    for (int i = 0; i < 4; ++i)
        for (int j = i + 1; j < 4; ++j)
            if (ids[static_cast<std::size_t>(i)] == ids[static_cast<std::size_t>(j)])
                throw FormatError(tokenizer.path() + ": the answer letters " + std::string(1, static_cast<char>('A' + i)) +
                                  " and " + std::string(1, static_cast<char>('A' + j)) + " end in the same token");
    return ids;
}

MmluPromptTokens mmluPromptTokens(const Tokenizer& tokenizer, const MmluSubject& subject, const MmluQuestion& question,
                                  std::int64_t shots, std::int64_t maxTokens) {
    if (maxTokens < 2)
        throw UsageError("`mmlu_max_tokens` must be at least 2 (BOS and one token), got " + std::to_string(maxTokens));
    MmluPromptTokens p;
    p.shots = shots;
    for (;;) {
        p.ids = tokenizer.encode(mmluPrompt(subject.name, subject.dev, p.shots, question), true);
        if (static_cast<std::int64_t>(p.ids.size()) <= maxTokens) return p;
        if (p.shots == 0) break;
        --p.shots;
    }
    const bool bos = tokenizer.bosId() >= 0 && p.ids.front() == tokenizer.bosId();
    const auto keep = static_cast<std::ptrdiff_t>(maxTokens - (bos ? 1 : 0));
    std::vector<std::int32_t> cut;
    if (bos) cut.push_back(p.ids.front());
    cut.insert(cut.end(), p.ids.end() - keep, p.ids.end());
    p.ids = std::move(cut);
    p.truncated = true;
    return p;
}

} // namespace ol
