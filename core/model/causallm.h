#pragma once
// Anything that maps token windows to next-token predictions: the FP model, a
// quantized model, a reloaded export. Evaluation code takes this interface.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace ol {

struct KvCache;

class CausalLm {
public:
    virtual ~CausalLm() = default;
    // tokens: [B, T] int64 on any device; returns float32 logits [B, T, vocab] on device().
    virtual at::Tensor logits(const at::Tensor& tokens) = 0;
    // tokens: [B, T]; float32 [B, T - 1] on device(): −log p(tokens[:, t + 1] | tokens[:, ..t]).
    // Models override it to compute the classifier in chunks, so that [B, T, vocab]
    // logits never exist at once (1 GB for 2048 tokens of a 128K vocabulary).
    virtual at::Tensor tokenNll(const at::Tensor& tokens);
    // The tokens [B, T] continue what `cache` holds (positions cache.length..); valid: bool [B, T], false at
    // left padding (those positions are never attended to), undefined = all valid. Returns float32 logits
    // [B, T, vocab] on device() — only the last `keepLast` positions' when keepLast > 0 — and appends the tokens to
    // the cache. Start from an empty KvCache.
    virtual at::Tensor logitsCached(const at::Tensor& tokens, KvCache& cache, const at::Tensor& valid = {},
                                    std::int64_t keepLast = 0);
    virtual c10::Device device() const = 0;
    virtual std::int64_t vocabSize() const = 0;
};

// −log_softmax(logits)[target] of each position: logits [B, T, V] of the first
// T positions, targets [B, T] int64. The reference computation for tokenNll.
at::Tensor nllOfLogits(const at::Tensor& logits, const at::Tensor& targets);

} // namespace ol
