#pragma once
// The flags of eval's MMLU and MT-Bench evaluations (the reference projects' --eval_mmlu --mmlu_data_dir and
// --eval_mtbench), and what they produce in the JSON output.
#include "flags.h"

#include "core/eval/mmlu.h"
#include "core/eval/mtbench.h"

#include <nlohmann/json.hpp>

namespace ol::cli {

// --eval_mmlu --mmlu_data_dir --mmlu_shots --mmlu_subjects --mmlu_limit --mmlu_batch_size --mmlu_csv
void addMmluFlags(Flags& flags);
// False without --eval_mmlu; UsageError for MMLU flags without it or without --mmlu_data_dir.
bool mmluFromFlags(const Flags& flags, MmluOptions& options, std::string& dataDir);

// --eval_mtbench --mtbench_questions --mtbench_answers --model_id --mtbench_max_new_tokens --mtbench_limit
// --chat_template
void addMtBenchFlags(Flags& flags);
// False without --eval_mtbench; `modelPath` names the default model_id and the chat template's source.
bool mtBenchFromFlags(const Flags& flags, const std::string& modelPath, MtBenchOptions& options, std::string& questions,
                      std::string& answers);

} // namespace ol::cli
