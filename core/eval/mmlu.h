#pragma once
// MMLU (Hendrycks et al.) as the original evaluation and DuQuant's/RUQuant's `--eval_mmlu` run it: for each test
// question a k-shot prompt (mmluprompt.h), one forward, and the prediction is whichever of the tokens A, B, C, D
// has the largest logit at the prompt's last position. Data: mmludata.h; results: mmluresult.h.
#include "core/eval/mmludata.h"
#include "core/eval/mmluprompt.h"
#include "core/eval/mmluresult.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ol {

class CausalLm;
class Progress;
class Tokenizer;

struct MmluOptions {
    std::int64_t shots = 5;            // `mmlu_shots`: dev examples in front of each question (k, reduced to fit)
    std::int64_t maxTokens = 0;        // `mmlu_max_tokens`: longest prompt, BOS included; 0: the model's context
    std::int64_t batchSize = 1;        // `mmlu_batch_size`: prompts per forward (the logits are B x T x vocab floats)
    std::vector<std::string> subjects; // `mmlu_subjects`: file stems to evaluate; empty: every test file
    std::int64_t limit = -1;           // `mmlu_limit`: test questions per subject (the first ones); -1: all
};

// Evaluates the loaded subjects (loadMmluData). `contextLength` is the model's max_position_embeddings: the
// default and the upper bound of maxTokens (UsageError naming `mmlu_max_tokens` above it). Progress: a report
// per batch ("subject 3/57 question 12/100, ETA 4m05s"), cancellable between batches. RuntimeFailure on
// non-finite logits.
MmluResult evaluateMmlu(CausalLm& model, const Tokenizer& tokenizer, std::int64_t contextLength,
                        const std::vector<MmluSubject>& data, const MmluOptions& options, Progress* progress = nullptr);

// Loads DIR (`mmlu_data_dir`) with the options' subjects, shots and limit, then evaluates it.
MmluResult evaluateMmlu(CausalLm& model, const Tokenizer& tokenizer, std::int64_t contextLength, const std::string& dataDir,
                        const MmluOptions& options, Progress* progress = nullptr);

} // namespace ol
