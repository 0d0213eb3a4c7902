#include "taskflags.h"

#include "core/errors.h"

#include <cstdio>

namespace ol::cli {

void addTaskFlags(Flags& f) {
    f.add("tasks", Flags::Kind::String,
          "zero-shot tasks, comma-separated: piqa,arc_easy,arc_challenge,hellaswag,winogrande,boolq,openbookqa,lambada_openai");
    f.add("task_dir", Flags::Kind::String, "folder holding <task>.jsonl files (docs/evaluation.md shows how to export them)");
    f.add("harness_compat", Flags::Kind::String,
          "none: lm-evaluation-harness v0.4 encoding; duquant: the reference's vendored v0.3 harness (no BOS, context and "
          "continuation encoded separately)",
          "none");
    f.add("task_limit", Flags::Kind::Int, "evaluate at most this many documents per task (-1: all)", "-1").range(-1, INT32_MAX);
    f.add("task_batch", Flags::Kind::Int, "documents per forward", "8").range(1, 4096);
    f.add("context_reuse", Flags::Kind::String,
          "on: each context runs once and its choices extend its KV cache; off: every choice is its own sequence "
          "(lm-eval's way); auto: on when it saves 30% of the tokens",
          "auto");
}

std::vector<std::string> tasksFromFlags(const Flags& f, TaskOptions& o) {
    for (const char* name : {"task_dir", "harness_compat", "task_limit", "task_batch", "context_reuse"})
        if (f.given(name) && !f.given("tasks")) throw UsageError(std::string("--") + name + " needs --tasks");
    if (!f.given("tasks")) return {};
    auto tasks = parseTaskList(f.str("tasks"));
    o.taskDir = f.str("task_dir");
    for (const auto& t : tasks) taskFile(o.taskDir, t); // every file checked before any work
    o.compat = harnessCompatFromName(f.str("harness_compat"));
    o.limit = f.integer("task_limit");
    if (o.limit == 0 || o.limit < -1)
        throw UsageError("--task_limit " + std::to_string(o.limit) + ": give -1 (all) or at least 1");
    o.scoring.batchDocuments = f.integer("task_batch");
    o.scoring.contextReuse = contextReuseFromName(f.str("context_reuse"));
    return tasks;
}

void printTaskTable(const nlohmann::json& fp, const nlohmann::json& quantized) {
    if (quantized.is_null())
        std::printf("\n%-16s %-11s %10s %10s %9s\n", "task", "metric", "value", "stderr", "documents");
    else
        std::printf("\n%-16s %-11s %10s %10s %10s %9s\n", "task", "metric", "FP", "quantized", "Δ", "documents");
    for (const auto& [task, metrics] : fp.items())
        for (const auto& [name, value] : metrics.items()) {
            if (!value.is_number() || name == "documents" || name == "seconds" || name.ends_with("_stderr")) continue;
            const double v = value.get<double>();
            const auto n = metrics.at("documents").get<long long>();
            if (quantized.is_null()) {
                const auto se = metrics.value(name + "_stderr", -1.0);
                char err[32] = "";
                if (se >= 0) std::snprintf(err, sizeof err, "± %.4f", se);
                std::printf("%-16s %-11s %10.4f %10s %9lld\n", task.c_str(), name.c_str(), v, err, n);
            } else {
                const double q = quantized.at(task).at(name).get<double>();
                std::printf("%-16s %-11s %10.4f %10.4f %+10.4f %9lld\n", task.c_str(), name.c_str(), v, q, q - v, n);
            }
        }
}

} // namespace ol::cli
