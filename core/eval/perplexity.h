#pragma once
// Perplexity, labelled with its protocol: the whole text tokenized once,
// non-overlapping windows of `seqlen` tokens (the tail dropped), each window
// evaluated from position 0; ppl = exp(mean over windows of the window's mean
// NLL over its seqlen-1 next-token predictions). This is llama2.c's and the
// reference projects' protocol (algorithms.md §1.13.1).
#include <cstdint>
#include <string>
#include <vector>

namespace ol {

class CausalLm;
class Progress;

struct PerplexityOptions {
    std::int64_t seqlen = 2048;
    std::int64_t maxWindows = -1; // -1: every full window
    std::int64_t batchSize = 4;
};

struct PerplexityResult {
    double ppl = 0;
    double meanNll = 0;
    std::int64_t seqlen = 0;
    std::int64_t windows = 0;
    std::int64_t tokens = 0; // tokens in the text (with BOS)
    double seconds = 0;
    std::vector<double> windowNll; // mean NLL of each window
    std::string protocol() const;
};

// Throws UsageError when the text is shorter than one window.
PerplexityResult evaluatePerplexity(CausalLm& model, const std::vector<std::int32_t>& tokens, const PerplexityOptions& options,
                                    Progress* progress = nullptr);

} // namespace ol
