#include "core/eval/perplexity.h"

#include "core/errors.h"
#include "core/model/causallm.h"
#include "core/progress.h"

#include <ATen/ATen.h>
#include <chrono>
#include <cmath>

namespace ol {

std::string PerplexityResult::protocol() const {
    return "non-overlapping windows of " + std::to_string(seqlen) + " tokens (" + std::to_string(windows) + " windows of a " +
           std::to_string(tokens) + "-token text, tail dropped), exp of the mean of per-window mean NLL";
}

PerplexityResult evaluatePerplexity(CausalLm& model, const std::vector<std::int32_t>& tokens, const PerplexityOptions& o,
                                    Progress* progress) {
    if (o.seqlen < 2) throw UsageError("`seqlen` must be at least 2 (got " + std::to_string(o.seqlen) + ")");
    const auto total = static_cast<std::int64_t>(tokens.size());
    std::int64_t windows = total / o.seqlen;
    if (windows == 0)
        throw UsageError("the text has " + std::to_string(total) + " tokens, fewer than one window of `seqlen` " +
                         std::to_string(o.seqlen));
    if (o.maxWindows > 0) windows = std::min(windows, o.maxWindows);
    const auto start = std::chrono::steady_clock::now();
    at::NoGradGuard noGrad;
    auto all = at::from_blob(const_cast<std::int32_t*>(tokens.data()), {windows * o.seqlen}, at::kInt)
                   .to(at::kLong)
                   .view({windows, o.seqlen});
    PerplexityResult r;
    r.seqlen = o.seqlen;
    r.windows = windows;
    r.tokens = total;
    const std::int64_t batch = std::max<std::int64_t>(1, o.batchSize);
    for (std::int64_t b = 0; b < windows; b += batch) {
        if (progress) {
            progress->checkCancelled();
            progress->report(static_cast<double>(b) / windows, "window " + std::to_string(b + 1) + "/" + std::to_string(windows));
        }
        const std::int64_t n = std::min(batch, windows - b);
        auto ids = all.narrow(0, b, n).to(model.device());
        auto nll = model.tokenNll(ids).to(at::kDouble).mean(1).cpu(); // [n]
        if (!at::isfinite(nll).all().item<bool>())
            throw RuntimeFailure("perplexity: non-finite loss in window " + std::to_string(b + 1) +
                                 " (NaN/Inf in the model's activations)");
        for (std::int64_t i = 0; i < n; ++i) r.windowNll.push_back(nll[i].item<double>());
    }
    double sum = 0;
    for (double v : r.windowNll) sum += v;
    r.meanNll = sum / static_cast<double>(r.windowNll.size());
    r.ppl = std::exp(r.meanNll);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (progress) progress->report(1.0, "done");
    return r;
}

} // namespace ol
