#include "core/model/generation.h"

#include "core/errors.h"
#include "core/model/causallm.h"
#include "core/model/kvcache.h"
#include "core/model/tokenizer.h"
#include "core/progress.h"

#include <ATen/ATen.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

namespace ol {

bool isGreedy(const GenerationOptions& o) { return o.temperature < 1e-4; }

std::int32_t pickToken(const std::vector<float>& logits, const GenerationOptions& o, double uniform) {
    if (isGreedy(o)) return static_cast<std::int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    // Softmax of logits / temperature in float64, tokens by falling probability (ties: lower id first).
    std::vector<std::int32_t> order(logits.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return logits[a] > logits[b]; });
    const double top = logits[order.front()];
    std::vector<double> p(order.size());
    double sum = 0;
    for (std::size_t i = 0; i < order.size(); ++i) sum += p[i] = std::exp((logits[order[i]] - top) / o.temperature);
    // Nucleus: the smallest prefix whose probability reaches top_p (at least one token).
    std::size_t keep = order.size();
    if (o.topP < 1.0) {
        double cumulative = 0;
        for (std::size_t i = 0; i < order.size(); ++i) {
            cumulative += p[i] / sum;
            if (cumulative >= o.topP) {
                keep = i + 1;
                break;
            }
        }
    }
    double kept = 0;
    for (std::size_t i = 0; i < keep; ++i) kept += p[i];
    double target = uniform * kept;
    for (std::size_t i = 0; i < keep; ++i) {
        target -= p[i];
        if (target < 0) return order[i];
    }
    return order[keep - 1];
}

namespace {

std::vector<float> lastLogits(const at::Tensor& logits) {
    const auto row = logits.select(0, 0).select(0, logits.size(1) - 1).to(at::kFloat).cpu().contiguous();
    return {row.data_ptr<float>(), row.data_ptr<float>() + row.numel()};
}

at::Tensor idsOf(const std::vector<std::int32_t>& t, std::size_t from = 0) {
    std::vector<std::int64_t> v(t.begin() + static_cast<std::ptrdiff_t>(from), t.end());
    const auto n = static_cast<std::int64_t>(v.size());
    return at::tensor(v, at::TensorOptions().dtype(at::kLong)).view({1, n});
}

} // namespace

GenerationResult generate(CausalLm& model, const Tokenizer& tok, const std::vector<std::int32_t>& prompt,
                          const GenerationOptions& o, Progress* progress) {
    if (prompt.empty()) throw UsageError("generation needs a prompt of at least one token");
    if (o.maxNewTokens < 1) throw UsageError("`max_new_tokens` must be at least 1");
    if (!(o.temperature >= 0) || !std::isfinite(o.temperature)) throw UsageError("`temperature` must be 0 or more");
    if (!(o.topP > 0 && o.topP <= 1)) throw UsageError("`top_p` must be in (0, 1]");
    if (static_cast<std::int64_t>(prompt.size()) >= o.contextLength)
        throw UsageError("the prompt has " + std::to_string(prompt.size()) + " tokens and fills the model's context of " +
                         std::to_string(o.contextLength));
    const auto start = std::chrono::steady_clock::now();
    at::NoGradGuard noGrad;
    std::mt19937_64 rng(o.seed);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    GenerationResult r;
    r.promptTokens = static_cast<std::int64_t>(prompt.size());
    std::vector<std::int32_t> all = prompt;
    KvCache cache;
    at::Tensor logits = o.useCache ? model.logitsCached(idsOf(all), cache, {}, 1) : model.logits(idsOf(all));
    r.stopReason = "max_new_tokens";
    for (std::int64_t step = 0; step < o.maxNewTokens; ++step) {
        if (progress) {
            progress->checkCancelled();
            progress->report(static_cast<double>(step) / static_cast<double>(o.maxNewTokens),
                             "token " + std::to_string(step + 1) + "/" + std::to_string(o.maxNewTokens));
        }
        const double u = uniform(rng); // drawn every step, so a seed fixes the whole sequence
        const auto next = pickToken(lastLogits(logits), o, u);
        if (o.stopAtEos && next == tok.eosId()) {
            r.stopReason = "eos";
            break;
        }
        r.tokens.push_back(next);
        all.push_back(next);
        r.text = tok.decode(r.tokens);
        bool stopped = false;
        for (const auto& s : o.stopStrings)
            if (const auto at = r.text.find(s); !s.empty() && at != std::string::npos) {
                r.text.resize(at);
                stopped = true;
            }
        if (stopped) {
            r.stopReason = "stop string";
            break;
        }
        if (static_cast<std::int64_t>(all.size()) >= o.contextLength) {
            r.stopReason = "context";
            break;
        }
        if (step + 1 < o.maxNewTokens)
            logits = o.useCache ? model.logitsCached(idsOf(all, all.size() - 1), cache, {}, 1) : model.logits(idsOf(all));
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
}

} // namespace ol
