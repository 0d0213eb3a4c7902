#include "benchmarkflags.h"

#include "core/errors.h"
#include "core/eval/pythonstrings.h"
#include "core/resources.h"

#include <filesystem>

namespace ol::cli {

namespace {
void requireSwitch(const Flags& f, const std::string& on, std::initializer_list<const char*> dependents) {
    if (f.on(on)) return;
    for (const char* name : dependents)
        if (f.given(name)) throw UsageError(std::string("--") + name + " needs --" + on);
}
} // namespace

void addMmluFlags(Flags& f) {
    f.add("eval_mmlu", Flags::Kind::Switch, "MMLU accuracy (the original Hendrycks prompt and scoring)");
    f.add("mmlu_data_dir", Flags::Kind::String, "MMLU data: dev/<subject>_dev.csv and test/<subject>_test.csv");
    f.add("mmlu_shots", Flags::Kind::Int, "dev examples before each question (reduced while the prompt exceeds the context)", "5")
        .range(0, 64);
    f.add("mmlu_subjects", Flags::Kind::String, "comma-separated subjects (default: every test file)");
    f.add("mmlu_limit", Flags::Kind::Int, "at most this many questions per subject (-1: all)", "-1").range(-1, INT32_MAX);
    f.add("mmlu_batch_size", Flags::Kind::Int, "prompts per forward", "1").range(1, 4096);
    f.add("mmlu_csv", Flags::Kind::String, "write the per-subject and per-category table as CSV");
}

bool mmluFromFlags(const Flags& f, MmluOptions& o, std::string& dataDir) {
    requireSwitch(f, "eval_mmlu", {"mmlu_data_dir", "mmlu_shots", "mmlu_subjects", "mmlu_limit", "mmlu_batch_size", "mmlu_csv"});
    if (!f.on("eval_mmlu")) return false;
    if (!f.given("mmlu_data_dir")) throw UsageError("--eval_mmlu needs --mmlu_data_dir (the folder holding dev/ and test/)");
    dataDir = f.str("mmlu_data_dir");
    o.shots = f.integer("mmlu_shots");
    o.limit = f.integer("mmlu_limit");
    if (o.limit == 0 || o.limit < -1)
        throw UsageError("--mmlu_limit " + std::to_string(o.limit) + ": give -1 (all) or at least 1");
    o.batchSize = f.integer("mmlu_batch_size");
    if (f.given("mmlu_subjects"))
        for (const auto& s : py::split(f.str("mmlu_subjects"), ","))
            if (!py::strip(s).empty()) o.subjects.push_back(py::strip(s));
    return true;
}

void addMtBenchFlags(Flags& f) {
    f.add("eval_mtbench", Flags::Kind::Switch,
          "MT-Bench answers in FastChat's model_answer format (judging needs an external judge model)");
    f.add("mtbench_questions", Flags::Kind::String, "FastChat's question.jsonl");
    f.add("mtbench_answers", Flags::Kind::String, "answers file to write (default: <model_id>.jsonl)");
    f.add("model_id", Flags::Kind::String, "model_id written into the answers (default: the model's folder or file name)");
    f.add("mtbench_max_new_tokens", Flags::Kind::Int, "tokens per answer at most", "1024").range(1, 1 << 20);
    f.add("mtbench_limit", Flags::Kind::Int, "answer at most this many questions (-1: all)", "-1").range(-1, INT32_MAX);
    f.add("chat_template", Flags::Kind::String,
          "llama-2, llama-3, chatml, zephyr or vicuna_v1.1 (default: recognized from tokenizer_config.json, else vicuna_v1.1)");
}

bool mtBenchFromFlags(const Flags& f, const std::string& modelPath, MtBenchOptions& o, std::string& questions,
                      std::string& answers) {
    requireSwitch(f, "eval_mtbench",
                  {"mtbench_questions", "mtbench_answers", "model_id", "mtbench_max_new_tokens", "mtbench_limit"});
    if (!f.on("eval_mtbench")) return false;
    if (!f.given("mtbench_questions")) throw UsageError("--eval_mtbench needs --mtbench_questions (FastChat's question.jsonl)");
    questions = f.str("mtbench_questions");
    const auto path = modelPath.empty() ? bundledModelPath() : modelPath;
    auto id = std::filesystem::path(path).filename().string();
    if (id.empty()) id = std::filesystem::path(path).parent_path().filename().string();
    o.modelId = f.given("model_id") ? f.str("model_id") : std::filesystem::path(id).stem().string();
    answers = f.given("mtbench_answers") ? f.str("mtbench_answers") : o.modelId + ".jsonl";
    o.maxNewTokens = f.integer("mtbench_max_new_tokens");
    o.limit = f.integer("mtbench_limit");
    o.chatTemplate = f.given("chat_template") ? chatTemplateNamed(f.str("chat_template")) : chatTemplateForModel(path);
    return true;
}

} // namespace ol::cli
