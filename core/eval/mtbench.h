#pragma once
// MT-Bench answers as FastChat's gen_model_answer.py writes them: for every question of question.jsonl, its
// turns asked one after another in one conversation (the model's chat template), each answered with the
// category's temperature (FastChat's table: writing/roleplay 0.7, stem/humanities 0.1, the rest greedy),
// max_new_tokens 1024, and one JSON line per question:
//   {"question_id", "answer_id", "model_id", "choices": [{"index": 0, "turns": [...]}], "tstamp"}.
// Judging needs an external judge model (FastChat's gen_judgment.py): OutlierLab stops at the answers file.
#include "core/eval/chattemplate.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ol {

class CausalLm;
class Tokenizer;
class Progress;

struct MtBenchQuestion {
    std::int64_t id = 0;
    std::string category;
    std::vector<std::string> turns;
};

// Reads question.jsonl; FormatError naming the file and line for a bad line or an empty file.
std::vector<MtBenchQuestion> loadMtBenchQuestions(const std::string& path);
// FastChat's temperature_config (0.7 for a category it does not list).
double mtBenchTemperature(const std::string& category);

struct MtBenchOptions {
    std::string modelId;
    ChatTemplate chatTemplate;
    std::int64_t maxNewTokens = 1024;
    std::int64_t contextLength = 2048;
    std::uint64_t seed = 0; // question q's sampling seed is seed + q's id, so answers do not depend on order
    std::int64_t limit = -1;
};

struct MtBenchSummary {
    std::int64_t questions = 0, turns = 0, tokens = 0;
    double seconds = 0;
};

// Writes the answers file atomically (complete or absent).
MtBenchSummary writeMtBenchAnswers(CausalLm& model, const Tokenizer& tokenizer, const std::vector<MtBenchQuestion>& questions,
                                   const MtBenchOptions& options, const std::string& outPath, Progress* progress = nullptr);

} // namespace ol
