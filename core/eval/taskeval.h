#pragma once
// Zero-shot task evaluation: documents → requests → log-likelihoods → lm-evaluation-harness metrics.
// acc: the choice of largest summed log-likelihood is the gold one; acc_norm: the same divided by the
// choice's length in characters; lambada: acc = the whole last word is the greedy continuation, perplexity =
// exp(−mean log-likelihood). Standard errors as the harness computes them: sample standard deviation / √n.
#include "core/eval/loglikelihood.h"
#include "core/eval/requestencoding.h"
#include "core/eval/taskdocs.h"

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace ol {

class CausalLm;
class Tokenizer;
class Progress;

struct TaskOptions {
    std::string taskDir; // holds <task>.jsonl
    HarnessCompat compat = HarnessCompat::None;
    std::int64_t limit = -1; // first documents only; -1: all
    ScoringOptions scoring;
};

struct TaskMetric {
    std::string name; // acc, acc_norm, perplexity
    double value = 0;
    double stderror = -1; // -1: none (perplexity)
};

struct DocScore {
    std::vector<double> logLikelihoods;
    std::vector<bool> greedy;
    int gold = 0, prediction = 0, predictionNorm = 0;
};

struct TaskResult {
    std::string task;
    std::string path;
    std::int64_t documents = 0;
    std::vector<TaskMetric> metrics;
    std::vector<DocScore> scores;
    double seconds = 0;
    const TaskMetric* metric(const std::string& name) const;
};

struct TaskResults {
    std::vector<TaskResult> tasks;
    HarnessCompat compat = HarnessCompat::None;
    ContextReuse contextReuse = ContextReuse::Auto;
    std::string table() const;   // one row per task and metric, lm-eval's layout
    std::string csv() const;     // task,metric,value,stderr,documents
    nlohmann::json json() const; // {task: {metric: value, metric_stderr: value, documents: n}}
};

// "piqa,arc_easy": each name checked (UsageError naming `tasks`), duplicates dropped, order kept.
std::vector<std::string> parseTaskList(const std::string& list);
// <dir>/<task>.jsonl, after checking it exists (UsageError naming `task_dir` otherwise).
std::string taskFile(const std::string& dir, const std::string& task);

// Every task's documents are read and checked before the first forward.
TaskResults evaluateTasks(CausalLm& model, const Tokenizer& tokenizer, const std::vector<std::string>& tasks,
                          const TaskOptions& options, Progress* progress = nullptr);

// The metrics of scored documents (exposed so a test can hold them to a float64 recomputation).
std::vector<TaskMetric> taskMetrics(const TaskInfo& task, const std::vector<TaskDoc>& docs, std::vector<DocScore>& scores);

} // namespace ol
