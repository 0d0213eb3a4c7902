#include "core/eval/loglikelihood.h"

#include "core/errors.h"
#include "core/model/causallm.h"
#include "core/model/kvcache.h"
#include "core/progress.h"

#include <ATen/ATen.h>
#include <algorithm>
#include <chrono>
#include <cmath>

namespace ol {

namespace {

using Tokens = std::vector<std::int32_t>;

at::Tensor longRow(const Tokens& t) {
    std::vector<std::int64_t> v(t.begin(), t.end());
    return at::tensor(v, at::TensorOptions().dtype(at::kLong));
}

// Right-padded [rows, width] token ids (padding repeats a row's last id: causally invisible to real tokens).
at::Tensor rightPadded(const std::vector<Tokens>& rows, std::int64_t width) {
    auto out = at::zeros({static_cast<std::int64_t>(rows.size()), width}, at::TensorOptions().dtype(at::kLong));
    for (std::size_t r = 0; r < rows.size(); ++r) {
        if (rows[r].empty()) continue;
        auto row = out[static_cast<std::int64_t>(r)];
        row.narrow(0, 0, static_cast<std::int64_t>(rows[r].size())).copy_(longRow(rows[r]));
        row.narrow(0, static_cast<std::int64_t>(rows[r].size()), width - static_cast<std::int64_t>(rows[r].size()))
            .fill_(rows[r].back());
    }
    return out;
}

// Adds log p and the greedy check of `targets` read from float log-probabilities [n, V] (row j scores targets[j]).
void accumulate(ScoredRequest& s, const at::Tensor& logp, const Tokens& targets, std::size_t first) {
    if (targets.size() <= first) return;
    const auto n = static_cast<std::int64_t>(targets.size() - first);
    const auto ids = longRow(Tokens(targets.begin() + static_cast<std::ptrdiff_t>(first), targets.end())).to(logp.device());
    const auto rows = logp.narrow(0, 0, n);
    s.logLikelihood += rows.gather(1, ids.unsqueeze(1)).to(at::kDouble).sum().item<double>();
    s.greedy = s.greedy && rows.argmax(1).eq(ids).all().item<bool>();
}

void checkRequest(const EncodedRequest& r, std::int64_t maxLength) {
    if (r.continuation.empty()) throw UsageError("a request's continuation encodes to no tokens");
    if (static_cast<std::int64_t>(r.continuation.size()) > maxLength)
        throw UsageError("a continuation of " + std::to_string(r.continuation.size()) +
                         " tokens is longer than the model's context of " + std::to_string(maxLength));
}

// The context's last tokens that fit beside a continuation of `continuation` tokens (at least one).
Tokens fittingContext(const Tokens& context, std::size_t continuation, std::int64_t maxLength) {
    const auto room =
        static_cast<std::size_t>(std::max<std::int64_t>(1, maxLength + 1 - static_cast<std::int64_t>(continuation)));
    return context.size() <= room ? context : Tokens(context.end() - static_cast<std::ptrdiff_t>(room), context.end());
}

// One batch with context reuse: distinct contexts once, then every continuation from its context's cache.
void scoreWithReuse(CausalLm& model, const std::vector<const std::vector<EncodedRequest>*>& docs, std::int64_t maxLength,
                    std::vector<std::vector<ScoredRequest>*>& out) {
    std::vector<Tokens> contexts; // distinct per document, truncated for the longest continuation sharing them
    struct Ref {
        std::size_t doc, request, row;
    };
    std::vector<Ref> refs;
    for (std::size_t d = 0; d < docs.size(); ++d) {
        const std::size_t firstRow = contexts.size();
        std::vector<std::size_t> longest;
        for (std::size_t i = 0; i < docs[d]->size(); ++i) {
            const auto& r = (*docs[d])[i];
            std::size_t row = firstRow;
            while (row < contexts.size() && contexts[row] != r.context) ++row;
            if (row == contexts.size()) {
                contexts.push_back(r.context);
                longest.push_back(0);
            }
            longest[row - firstRow] = std::max(longest[row - firstRow], r.continuation.size());
            refs.push_back({d, i, row});
        }
        for (std::size_t row = firstRow; row < contexts.size(); ++row)
            contexts[row] = fittingContext(contexts[row], longest[row - firstRow], maxLength);
    }
    // Left-padded contexts: every row's last token at the same position.
    std::int64_t width = 0;
    for (const auto& c : contexts) width = std::max<std::int64_t>(width, static_cast<std::int64_t>(c.size()));
    const auto rows = static_cast<std::int64_t>(contexts.size());
    auto ids = at::zeros({rows, width}, at::TensorOptions().dtype(at::kLong));
    auto valid = at::ones({rows, width}, at::TensorOptions().dtype(at::kBool));
    bool padded = false;
    for (std::int64_t r = 0; r < rows; ++r) {
        const auto& c = contexts[r];
        const auto pad = width - static_cast<std::int64_t>(c.size());
        ids[r].narrow(0, pad, static_cast<std::int64_t>(c.size())).copy_(longRow(c));
        if (pad > 0) {
            ids[r].narrow(0, 0, pad).fill_(c.front());
            valid[r].narrow(0, 0, pad).fill_(false);
            padded = true;
        }
    }
    KvCache cache;
    const auto last = at::log_softmax(model.logitsCached(ids, cache, padded ? valid : at::Tensor(), 1).select(1, 0), -1);

    // Continuations: all but their last token extend their context's cache.
    std::vector<Tokens> feeds;
    std::vector<std::int64_t> rowOf;
    std::int64_t feedWidth = 0;
    for (const auto& ref : refs) {
        const auto& cont = (*docs[ref.doc])[ref.request].continuation;
        feeds.emplace_back(cont.begin(), cont.end() - 1);
        rowOf.push_back(static_cast<std::int64_t>(ref.row));
        feedWidth = std::max<std::int64_t>(feedWidth, static_cast<std::int64_t>(cont.size()) - 1);
    }
    at::Tensor rest;
    if (feedWidth > 0) {
        auto extended = cache.selectRows(at::tensor(rowOf, at::TensorOptions().dtype(at::kLong)));
        rest = at::log_softmax(model.logitsCached(rightPadded(feeds, feedWidth), extended), -1);
    }
    for (std::size_t k = 0; k < refs.size(); ++k) {
        const auto& ref = refs[k];
        const auto& cont = (*docs[ref.doc])[ref.request].continuation;
        auto& s = (*out[ref.doc])[ref.request];
        s = {0, true};
        accumulate(s, last[static_cast<std::int64_t>(ref.row)].unsqueeze(0), Tokens{cont.front()}, 0);
        if (cont.size() > 1) accumulate(s, rest[static_cast<std::int64_t>(k)], Tokens(cont.begin() + 1, cont.end()), 0);
    }
}

// One batch without reuse: each request (context + continuation)[-(maxLength+1):][:-1] as its own row.
void scoreWithoutReuse(CausalLm& model, const std::vector<const std::vector<EncodedRequest>*>& docs, std::int64_t maxLength,
                       std::vector<std::vector<ScoredRequest>*>& out) {
    std::vector<Tokens> inputs;
    std::int64_t width = 0;
    for (const auto* doc : docs)
        for (const auto& r : *doc) {
            Tokens full = r.context;
            full.insert(full.end(), r.continuation.begin(), r.continuation.end());
            if (static_cast<std::int64_t>(full.size()) > maxLength + 1) full.erase(full.begin(), full.end() - (maxLength + 1));
            full.pop_back();
            width = std::max<std::int64_t>(width, static_cast<std::int64_t>(full.size()));
            inputs.push_back(std::move(full));
        }
    const auto logp = at::log_softmax(model.logits(rightPadded(inputs, width)), -1);
    std::size_t k = 0;
    for (std::size_t d = 0; d < docs.size(); ++d)
        for (std::size_t i = 0; i < docs[d]->size(); ++i, ++k) {
            const auto& cont = (*docs[d])[i].continuation;
            const auto n = static_cast<std::int64_t>(inputs[k].size());
            auto& s = (*out[d])[i];
            s = {0, true};
            const auto first = n + 1 - static_cast<std::int64_t>(cont.size()) - 1;
            accumulate(s, logp[static_cast<std::int64_t>(k)].narrow(0, first, static_cast<std::int64_t>(cont.size())), cont, 0);
        }
}

// Tokens computed with reuse (distinct contexts left-padded, then continuations right-padded) against one padded
// row per request: reuse pays when it saves at least 30% (its second forward is a second pass over the weights).
bool reusePays(const std::vector<const std::vector<EncodedRequest>*>& docs, std::int64_t maxLength) {
    std::size_t contexts = 0, requests = 0, contextWidth = 0, continuationWidth = 0, fullWidth = 0;
    for (const auto* doc : docs) {
        std::vector<const Tokens*> seen;
        for (const auto& r : *doc) {
            if (std::find_if(seen.begin(), seen.end(), [&](const Tokens* t) { return *t == r.context; }) == seen.end())
                seen.push_back(&r.context);
            ++requests;
            contextWidth = std::max(contextWidth, r.context.size());
            continuationWidth = std::max(continuationWidth, r.continuation.size() - 1);
            fullWidth = std::max(fullWidth, r.context.size() + r.continuation.size() - 1);
        }
        contexts += seen.size();
    }
    const auto cap = static_cast<std::size_t>(maxLength);
    const double reused = static_cast<double>(contexts * std::min(contextWidth, cap) + requests * continuationWidth);
    const double plain = static_cast<double>(requests * std::min(fullWidth, cap));
    return reused <= 0.7 * plain;
}

} // namespace

ContextReuse contextReuseFromName(const std::string& name) {
    if (name == "auto") return ContextReuse::Auto;
    if (name == "on") return ContextReuse::On;
    if (name == "off") return ContextReuse::Off;
    throw UsageError("`context_reuse`: '" + name + "' is not one of auto, on, off");
}

const char* contextReuseName(ContextReuse reuse) {
    return reuse == ContextReuse::On ? "on" : reuse == ContextReuse::Off ? "off" : "auto";
}

std::vector<std::vector<ScoredRequest>> scoreRequests(CausalLm& model, const std::vector<std::vector<EncodedRequest>>& docs,
                                                      const ScoringOptions& o, Progress* progress, const std::string& label) {
    if (o.maxLength < 2) throw UsageError("`max_length` must be at least 2");
    for (const auto& doc : docs)
        for (const auto& r : doc) checkRequest(r, o.maxLength);
    at::NoGradGuard noGrad;
    std::vector<std::vector<ScoredRequest>> out(docs.size());
    const auto batch = static_cast<std::size_t>(std::max<std::int64_t>(1, o.batchDocuments));
    const auto start = std::chrono::steady_clock::now();
    for (std::size_t d0 = 0; d0 < docs.size(); d0 += batch) {
        if (progress) {
            progress->checkCancelled();
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            std::string rate =
                d0 > 0 && seconds > 0 ? ", " + std::to_string(static_cast<int>(std::lround(d0 / seconds))) + " docs/s" : "";
            progress->report(static_cast<double>(d0) / docs.size(),
                             label + " " + std::to_string(d0) + "/" + std::to_string(docs.size()) + " documents" + rate);
        }
        std::vector<const std::vector<EncodedRequest>*> part;
        std::vector<std::vector<ScoredRequest>*> results;
        for (std::size_t d = d0; d < std::min(docs.size(), d0 + batch); ++d) {
            part.push_back(&docs[d]);
            out[d].resize(docs[d].size());
            results.push_back(&out[d]);
        }
        if (o.contextReuse == ContextReuse::On || (o.contextReuse == ContextReuse::Auto && reusePays(part, o.maxLength)))
            scoreWithReuse(model, part, o.maxLength, results);
        else
            scoreWithoutReuse(model, part, o.maxLength, results);
        for (const auto* r : results)
            for (const auto& s : *r)
                if (!std::isfinite(s.logLikelihood))
                    throw RuntimeFailure(label + ": non-finite log-likelihood (NaN/Inf in the model's activations)");
    }
    if (progress) progress->report(1.0, label + " done");
    return out;
}

} // namespace ol
