#pragma once
// Log-likelihoods of continuations given contexts, for multiple-choice and cloze scoring. With context reuse
// (the default) a batch of documents' distinct contexts runs once, left-padded into one forward whose KV cache
// every continuation of that context then extends; without it every request is its own right-padded row, as
// lm-evaluation-harness feeds them. Either way a request's text is
// truncated from the left so that context + continuation − 1 tokens fit the model's context.
#include "core/eval/requestencoding.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ol {

class CausalLm;
class Progress;

struct ScoredRequest {
    double logLikelihood = 0; // Σ log p(continuation token | everything before it)
    bool greedy = false;      // every continuation token is the argmax at its position
};

// Auto decides per batch: reuse when it computes at most 70% of the tokens the plain rows would (the reuse pays
// for a second pass over the weights, which dominates when they stream from the file). bench_eval measures both.
enum class ContextReuse { Auto, On, Off };
// "auto" / "on" / "off"; UsageError naming `context_reuse`.
ContextReuse contextReuseFromName(const std::string& name);
const char* contextReuseName(ContextReuse reuse);

struct ScoringOptions {
    std::int64_t maxLength = 2048; // the model's context (max_position_embeddings)
    std::int64_t batchDocuments = 8;
    ContextReuse contextReuse = ContextReuse::Auto;
};

// docs[d] are document d's requests; the result has the same shape. `label` names the work in progress
// messages ("piqa"). Throws UsageError for a continuation with no tokens or longer than the context.
std::vector<std::vector<ScoredRequest>> scoreRequests(CausalLm& model, const std::vector<std::vector<EncodedRequest>>& docs,
                                                      const ScoringOptions& options, Progress* progress = nullptr,
                                                      const std::string& label = {});

} // namespace ol
