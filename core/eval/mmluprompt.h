#pragma once
// The MMLU prompt, byte for byte as the original evaluation (hendrycks/test, evaluate.py) writes it, and its
// tokens. With the subject "abstract_algebra" and one shot:
//
//   The following are multiple choice questions (with answers) about  abstract algebra.\n\n
//   <dev question>\nA. <a>\nB. <b>\nC. <c>\nD. <d>\nAnswer: <letter>\n\n
//   <test question>\nA. <a>\nB. <b>\nC. <c>\nD. <d>\nAnswer:
//
// The two spaces after "about" are the original's ("about {}" of a subject formatted as " abstract algebra");
// published MMLU numbers were measured with them, so they stay.
#include "core/eval/mmludata.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ol {

class Tokenizer;

// format_subject: each "_"-separated word preceded by a space (" abstract algebra").
std::string mmluSubjectTitle(const std::string& subject);
// One example: the question, the four choices and "Answer:", plus " <letter>\n\n" when withAnswer.
std::string mmluExample(const MmluQuestion& question, bool withAnswer);
// The header, the first k dev rows with their answers, then `question` without its answer.
std::string mmluPrompt(const std::string& subject, const std::vector<MmluQuestion>& dev, std::int64_t k,
                       const MmluQuestion& question);

// The tokens compared at the prompt's last position: the last id of encode("A", false), ... "D".
// Throws FormatError naming the tokenizer when a letter encodes to nothing or two letters share a token.
std::array<std::int32_t, 4> mmluAnswerTokens(const Tokenizer& tokenizer);

struct MmluPromptTokens {
    std::vector<std::int32_t> ids; // encode(prompt, true): with BOS
    std::int64_t shots = 0;        // the k used
    bool truncated = false;        // too long even at k = 0: cut from the left
};

// k starts at `shots` and drops by one while the tokens are more than maxTokens (the original's rule). When even
// k = 0 does not fit, the prompt is cut from the left to its last maxTokens tokens, the BOS kept in front: the end
// ("...D. <d>\nAnswer:") is what the prediction depends on most, and one long question then costs its header
// and the start of its text instead of aborting a run of thousands (the original loops forever there). Such
// questions are flagged and counted in the results. maxTokens must be at least 2 (UsageError).
MmluPromptTokens mmluPromptTokens(const Tokenizer& tokenizer, const MmluSubject& subject, const MmluQuestion& question,
                                  std::int64_t shots, std::int64_t maxTokens);

} // namespace ol
