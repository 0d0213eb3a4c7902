#include "core/eval/mmlu.h"

#include "core/errors.h"
#include "core/model/causallm.h"
#include "core/model/tokenizer.h"
#include "core/progress.h"

#include <ATen/ATen.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace ol {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t checkedMaxTokens(const MmluOptions& o, std::int64_t contextLength) {
    if (o.batchSize < 1) throw UsageError("`mmlu_batch_size` must be at least 1 (got " + std::to_string(o.batchSize) + ")");
    if (o.shots < 0) throw UsageError("`mmlu_shots` must be 0 or more (got " + std::to_string(o.shots) + ")");
    if (contextLength < 2) throw UsageError("the model's context of " + std::to_string(contextLength) + " tokens is too short");
    if (o.maxTokens == 0) return contextLength;
    // Past the model's context the rotary tables (and what the model was trained on) end.
    if (o.maxTokens < 2 || o.maxTokens > contextLength)
        throw UsageError("`mmlu_max_tokens` must be between 2 and the model's context of " + std::to_string(contextLength) +
                         " tokens, or 0 for the context (got " + std::to_string(o.maxTokens) + ")");
    return o.maxTokens;
}

// [n, 4] float64 on the CPU: log_softmax over the vocabulary at each prompt's last position, at the letters' tokens.
// The prompts are right-padded to the longest: with causal attention a position never sees the padding after
// it, so each prompt's last logits are those of its own unpadded forward (up to the order of floating-point sums).
at::Tensor letterLogProbs(CausalLm& model, const std::vector<const std::vector<std::int32_t>*>& prompts,
                          const at::Tensor& letters) {
    const auto n = static_cast<std::int64_t>(prompts.size());
    std::int64_t longest = 0;
    for (const auto* p : prompts) longest = std::max(longest, static_cast<std::int64_t>(p->size()));
    auto ids = at::zeros({n, longest}, at::kLong); // 0: any valid id serves as padding
    auto last = at::empty({n}, at::kLong);
    auto idsA = ids.accessor<std::int64_t, 2>();
    auto lastA = last.accessor<std::int64_t, 1>();
    for (std::int64_t i = 0; i < n; ++i) {
        const auto& p = *prompts[static_cast<std::size_t>(i)];
        for (std::size_t t = 0; t < p.size(); ++t) idsA[i][static_cast<std::int64_t>(t)] = p[t];
        lastA[i] = static_cast<std::int64_t>(p.size()) - 1;
    }
    const auto logits = model.logits(ids.to(model.device())); // [n, T, V]
    const auto vocab = logits.size(2);
    const auto where = last.to(logits.device()).view({n, 1, 1}).expand({n, 1, vocab});
    // float64 so that the recorded log-probabilities do not depend on the vocabulary's size in their last digits.
    const auto logp = at::log_softmax(logits.gather(1, where).squeeze(1).to(at::kDouble), -1);
    return logp.index_select(1, letters.to(logp.device())).cpu();
}

class MmluRun {
public:
    MmluRun(CausalLm& model, const Tokenizer& tokenizer, std::int64_t maxTokens, const MmluOptions& o, Progress* progress)
        : m_model(model), m_tokenizer(tokenizer), m_maxTokens(maxTokens), m_o(o), m_progress(progress) {
        const auto ids = mmluAnswerTokens(tokenizer);
        m_letters = at::tensor(std::vector<std::int64_t>(ids.begin(), ids.end()), at::kLong);
    }

    MmluSubjectResult subject(const MmluSubject& s, std::size_t number, std::size_t count, std::int64_t totalQuestions) {
        if (m_o.shots > static_cast<std::int64_t>(s.dev.size()))
            throw UsageError(s.name + ": " + std::to_string(s.dev.size()) + " dev examples loaded, fewer than `mmlu_shots` " +
                             std::to_string(m_o.shots));
        const auto n = s.test.size();
        std::vector<MmluPromptTokens> prompts;
        prompts.reserve(n);
        for (const auto& q : s.test) prompts.push_back(mmluPromptTokens(m_tokenizer, s, q, m_o.shots, m_maxTokens));
        // Longest first: batches of similar lengths waste little on padding, and the largest forward comes first.
        std::vector<std::size_t> order(n);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return prompts[a].ids.size() > prompts[b].ids.size(); });
        MmluSubjectResult r;
        r.subject = s.name;
        r.perQuestion.resize(n);
        const auto batch = static_cast<std::size_t>(m_o.batchSize);
        for (std::size_t b = 0; b < n; b += batch) {
            if (m_progress) m_progress->checkCancelled();
            const auto end = std::min(n, b + batch);
            std::vector<const std::vector<std::int32_t>*> ids;
            for (std::size_t j = b; j < end; ++j) ids.push_back(&prompts[order[j]].ids);
            const auto logp = letterLogProbs(m_model, ids, m_letters);
            const auto lp = logp.accessor<double, 2>();
            for (std::size_t j = b; j < end; ++j) {
                const auto i = order[j];
                auto& q = r.perQuestion[i];
                for (std::int64_t c = 0; c < 4; ++c)
                    q.logProbs[static_cast<std::size_t>(c)] = lp[static_cast<std::int64_t>(j - b)][c];
                if (!std::all_of(q.logProbs.begin(), q.logProbs.end(), [](double v) { return std::isfinite(v); }))
                    throw RuntimeFailure("MMLU " + s.name + " question at line " + std::to_string(s.test[i].line) +
                                         ": non-finite log-probabilities (NaN/Inf in the model's activations)");
                q.prediction = static_cast<int>(std::max_element(q.logProbs.begin(), q.logProbs.end()) - q.logProbs.begin());
                q.answer = s.test[i].answer;
                q.correct = q.prediction == q.answer;
                q.shots = prompts[i].shots;
                q.tokens = static_cast<std::int64_t>(prompts[i].ids.size());
                q.truncated = prompts[i].truncated;
            }
            m_done += static_cast<std::int64_t>(end - b);
            report(number, count, end, n, totalQuestions);
        }
        return r;
    }

private:
    void report(std::size_t subject, std::size_t subjects, std::size_t question, std::size_t questions, std::int64_t total) {
        if (!m_progress) return;
        const double fraction = static_cast<double>(m_done) / static_cast<double>(std::max<std::int64_t>(1, total));
        std::string text = "subject " + std::to_string(subject + 1) + "/" + std::to_string(subjects) + " question " +
                           std::to_string(question) + "/" + std::to_string(questions);
        m_progress->report(fraction, text);
    }

    CausalLm& m_model;
    const Tokenizer& m_tokenizer;
    std::int64_t m_maxTokens;
    const MmluOptions& m_o;
    Progress* m_progress;
    at::Tensor m_letters;
    std::int64_t m_done = 0;
};

} // namespace

MmluResult evaluateMmlu(CausalLm& model, const Tokenizer& tokenizer, std::int64_t contextLength,
                        const std::vector<MmluSubject>& data, const MmluOptions& options, Progress* progress) {
    const auto start = Clock::now();
    const auto maxTokens = checkedMaxTokens(options, contextLength);
    at::NoGradGuard noGrad;
    std::int64_t total = 0;
    for (const auto& s : data) total += static_cast<std::int64_t>(s.test.size());
    MmluRun run(model, tokenizer, maxTokens, options, progress);
    MmluResult r;
    r.shots = options.shots;
    r.maxTokens = maxTokens;
    for (std::size_t i = 0; i < data.size(); ++i) r.subjects.push_back(run.subject(data[i], i, data.size(), total));
    summarizeMmlu(r);
    r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (progress) progress->report(1.0, "done");
    return r;
}

MmluResult evaluateMmlu(CausalLm& model, const Tokenizer& tokenizer, std::int64_t contextLength, const std::string& dataDir,
                        const MmluOptions& options, Progress* progress) {
    checkedMaxTokens(options, contextLength); // bad options before reading 57 files
    const auto data = loadMmluData(dataDir, options.subjects, options.shots, options.limit);
    return evaluateMmlu(model, tokenizer, contextLength, data, options, progress);
}

} // namespace ol
