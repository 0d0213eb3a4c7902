#pragma once
// The evaluation flags shared by eval, quantize and (as recipe keys) batch: zero-shot tasks.
#include "flags.h"

#include "core/eval/taskeval.h"

#include <nlohmann/json.hpp>

namespace ol::cli {

// --tasks --task_dir --harness_compat --task_limit --task_batch --context_reuse
void addTaskFlags(Flags& flags);
// Empty when --tasks is not given; `options` filled (its maxLength is the model's context, set by the caller).
std::vector<std::string> tasksFromFlags(const Flags& flags, TaskOptions& options);
// "task metric FP quantized" rows, or one model's table when `quantized` is null.
void printTaskTable(const nlohmann::json& fp, const nlohmann::json& quantized);

} // namespace ol::cli
