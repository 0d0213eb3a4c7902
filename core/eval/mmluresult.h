#pragma once
// MMLU results: per question, per subject, per category (pooled over its questions, as the MMLU paper's
// evaluation pools them), and the two averages: micro (pooled over every question, the number usually reported
// as "MMLU accuracy") and macro (the mean of the subjects' accuracies).
#include <array>
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace ol {

struct MmluQuestionResult {
    int answer = 0;                   // 0..3 for A..D
    int prediction = 0;               // the argmax of logProbs (the first on ties, like numpy's argmax)
    std::array<double, 4> logProbs{}; // log_softmax over the whole vocabulary at the prompt's end, of A..D's tokens
    bool correct = false;
    std::int64_t shots = 0;  // the k used
    std::int64_t tokens = 0; // prompt tokens, BOS included
    bool truncated = false;  // too long at k = 0 and cut from the left (mmluprompt.h)
};

struct MmluSubjectResult {
    std::string subject;
    std::string category;
    bool known = true; // among the 57 MMLU subjects; unknown ones are counted under "other (...)"
    std::int64_t questions = 0, correct = 0;
    double accuracy = 0;
    std::int64_t minShots = 0, maxShots = 0;     // the k actually used
    std::int64_t truncated = 0;                  // questions cut from the left
    std::vector<MmluQuestionResult> perQuestion; // in the file's order
};

struct MmluCategoryResult {
    std::string category;
    std::int64_t subjects = 0, questions = 0, correct = 0;
    double accuracy = 0; // correct / questions over the category's questions
};

struct MmluResult {
    std::vector<MmluSubjectResult> subjects;    // sorted by name
    std::vector<MmluCategoryResult> categories; // in mmluCategories() order, only those with subjects
    std::int64_t questions = 0, correct = 0;
    double microAccuracy = 0; // correct / questions over every question
    double macroAccuracy = 0; // the mean of the subjects' accuracies
    std::int64_t shots = 0;   // as asked; a subject's minShots/maxShots say what was used
    std::int64_t maxTokens = 0;
    double seconds = 0;

    std::vector<std::string> unknownSubjects() const;
    std::int64_t truncated() const;
    std::string protocol() const;
    // Aligned text: subject rows, category rows, then the micro and macro averages, with notes on unknown subjects
    // and truncated prompts.
    std::string table() const;
    // "subject,category,questions,correct,accuracy" (accuracy a fraction, 6 decimals); category rows have an empty
    // subject; then "all,micro,..." and "all,macro,..." (questions and correct are the totals in both).
    std::string csv() const;
};

// Fills every subject's counts, accuracy, shots range and truncation count from its perQuestion, then the
// categories and averages. Subjects keep their order.
void summarizeMmlu(MmluResult& result);

// {micro_accuracy, macro_accuracy, questions, correct, shots, seconds, protocol, categories{..}, subjects{..}}.
nlohmann::json mmluJson(const MmluResult& result);
// "subject,category,questions,fp_accuracy,quantized_accuracy": subjects, categories (empty subject), then micro
// and macro rows; both results over the same data.
std::string mmluComparisonCsv(const MmluResult& fp, const MmluResult& quantized);

} // namespace ol
