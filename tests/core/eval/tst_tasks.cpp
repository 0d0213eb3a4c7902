// Zero-shot tasks: the requests each task builds (lm-evaluation-harness v0.4's templates), their token splits,
// the scorer against a float64 recomputation from the model's logits, context reuse against none, the
// DuQuant-compat encoding, and bad task files.
#include "core/errors.h"
#include "core/eval/loglikelihood.h"
#include "core/eval/requestencoding.h"
#include "core/eval/taskdocs.h"
#include "core/eval/taskeval.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/model/tokenizer.h"
#include "core/resources.h"
#include "testutil.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <cmath>

using namespace ol;

namespace {

const std::string kTaskDir = OL_TEST_DATA_DIR "/tasks";

std::string pieces(const Tokenizer& tok, const std::vector<std::int32_t>& ids) {
    std::string out;
    for (auto id : ids) out += (out.empty() ? "" : "|") + tok.tokenText(id);
    return out;
}

// Σ log p(continuation) recomputed in float64 from the logits of the whole (context + continuation) sequence.
double referenceLogLikelihood(CausalLm& model, const EncodedRequest& r, bool* greedy = nullptr) {
    std::vector<std::int64_t> ids(r.context.begin(), r.context.end());
    ids.insert(ids.end(), r.continuation.begin(), r.continuation.end());
    const auto n = static_cast<std::int64_t>(ids.size());
    const auto logits = model.logits(at::tensor(ids).view({1, n}))[0].to(at::kDouble);
    const auto logp = at::log_softmax(logits, -1);
    double sum = 0;
    bool allGreedy = true;
    for (std::size_t j = 0; j < r.continuation.size(); ++j) {
        const auto pos = n - static_cast<std::int64_t>(r.continuation.size()) + static_cast<std::int64_t>(j) - 1;
        sum += logp[pos][r.continuation[j]].item<double>();
        allGreedy = allGreedy && logp[pos].argmax().item<std::int64_t>() == r.continuation[j];
    }
    if (greedy) *greedy = allGreedy;
    return sum;
}

template <class F> void expectFormatError(F&& f, const std::string& text) {
    try {
        f();
        QFAIL("expected FormatError");
    } catch (const FormatError& e) {
        QVERIFY2(std::string(e.what()).find(text) != std::string::npos, e.what());
    }
}

} // namespace

class TestTasks : public QObject {
    Q_OBJECT
    ModelBundle m_bundle;
    std::unique_ptr<LlamaModel> m_model;

private Q_SLOTS:
    void initTestCase() {
        m_bundle = openModel(bundledModelPath(), "");
        m_model = std::make_unique<LlamaModel>(m_bundle.checkpoint, c10::Device(c10::kCPU));
    }

    // The request strings, as lm-eval's task configs and utils build them (expectations computed by hand from
    // the templates in docs/evaluation.md and checked against the harness's Python functions).
    void requestStrings() {
        const auto piqa = loadTaskDocs("piqa", kTaskDir + "/piqa.jsonl");
        QCOMPARE(piqa.size(), std::size_t(5));
        QCOMPARE(piqa[0].contexts, std::vector<std::string>{"Question: How do you keep a cat warm?\nAnswer:"});
        QCOMPARE(piqa[0].continuations, (std::vector<std::string>{" Give it a soft blanket.", " Give it a cold bath."}));
        QCOMPARE(piqa[3].gold, 1);

        const auto arc = loadTaskDocs("arc_easy", kTaskDir + "/arc_easy.jsonl");
        QCOMPARE(arc[1].contexts.front(), std::string("Question: Which one is hot?\nAnswer:"));
        QCOMPARE(arc[1].continuations.size(), std::size_t(3));
        QCOMPARE(arc[1].gold, 1);
        QCOMPARE(arc[2].gold, 0); // numeric labels "1".."4"

        const auto hs = loadTaskDocs("hellaswag", kTaskDir + "/hellaswag.jsonl");
        QCOMPARE(hs[1].contexts.front(), std::string("Baking cookies: Mom puts the cookies in the oven. They")); // capitalize()
        QCOMPARE(hs[2].contexts.front(), std::string("Going to sleep: How to sleep well. Lily puts on her pajamas. She"));
        QCOMPARE(hs[2].choices[3], std::string("runs to school fast."));
        QCOMPARE(hs[2].continuations[1], std::string(" eats the moon."));
        QCOMPARE(hs[2].gold, 2); // an integer label as well as "0".."3"

        const auto wg = loadTaskDocs("winogrande", kTaskDir + "/winogrande.jsonl");
        QCOMPARE(wg[0].contexts,
                 (std::vector<std::string>{"Lily gave the toy to Sam because Lily", "Lily gave the toy to Sam because Sam"}));
        QCOMPARE(wg[0].continuations, std::vector<std::string>{" was very kind."});
        QCOMPARE(wg[3].gold, 1);
        QCOMPARE(wg[3].requests(), std::size_t(2));

        const auto bq = loadTaskDocs("boolq", kTaskDir + "/boolq.jsonl");
        QCOMPARE(bq[0].contexts.front(),
                 std::string("The sun is a big ball of fire in the sky. It is very hot.\nQuestion: is the sun hot?\nAnswer:"));
        QCOMPARE(bq[0].continuations, (std::vector<std::string>{" no", " yes"}));
        QCOMPARE(bq[0].gold, 1);

        const auto ob = loadTaskDocs("openbookqa", kTaskDir + "/openbookqa.jsonl");
        QCOMPARE(ob[0].contexts.front(), std::string("A plant needs sunlight to"));
        QCOMPARE(ob[1].gold, 1); // answerKey " B" lstripped

        const auto lb = loadTaskDocs("lambada_openai", kTaskDir + "/lambada_openai.jsonl");
        QCOMPARE(lb[0].contexts.front(), std::string("Once upon a time, there was a little girl named Lily. She loved to play "
                                                     "with her ball. One day, Lily lost her"));
        QCOMPARE(lb[0].continuations, std::vector<std::string>{" ball"});
    }

    // Token splits on the bundled llama2.c tokenizer (pieces as stored, ▁ = space).
    void tokenSplits() {
        const auto& tok = *m_bundle.tokenizer;
        const auto r = encodeRequest(tok, "Question: Is it red?\nAnswer:", " yes", HarnessCompat::None);
        QCOMPARE(pieces(tok, r.context), std::string("\n<s>\n| |Q|u|e|st|i|on|:| I|s| it| r|ed|?|<0x0A>|A|n|s|w|er|:"));
        QCOMPARE(pieces(tok, r.continuation), std::string(" y|es"));
        // Trailing whitespace of the context moves to the continuation.
        const auto moved = encodeRequest(tok, "Lily lost her ", "ball", HarnessCompat::None);
        const auto plain = encodeRequest(tok, "Lily lost her", " ball", HarnessCompat::None);
        QCOMPARE(moved.context, plain.context);
        QCOMPARE(moved.continuation, plain.continuation);
        QCOMPARE(pieces(tok, plain.continuation), std::string(" b|all"));
        // v0.3 (DuQuant): no BOS, the continuation encoded on its own (so it gains the dummy-prefix space).
        const auto compat = encodeRequest(tok, "Question: Is it red?\nAnswer:", " yes", HarnessCompat::DuQuant);
        QCOMPARE(pieces(tok, compat.context), std::string(" |Q|u|e|st|i|on|:| I|s| it| r|ed|?|<0x0A>|A|n|s|w|er|:"));
        QCOMPARE(pieces(tok, compat.continuation), std::string(" | y|es"));
        // An empty context is the prefix token.
        QCOMPARE(encodeRequest(tok, "", " ball", HarnessCompat::None).context, std::vector<std::int32_t>{tok.bosId()});
    }

    // Every task's per-request log-likelihoods equal a float64 recomputation from the model's logits of the
    // whole sequence (1e-4: a float32 forward and log-softmax against float64 sums of a few tokens),
    // and acc/acc_norm follow from them.
    void scoresEqualFloat64Recomputation_data() {
        QTest::addColumn<QString>("task");
        QTest::addColumn<bool>("reuse");
        for (const auto& t : knownTasks()) {
            QTest::newRow((t.name + " reuse").c_str()) << QString::fromStdString(t.name) << true;
            QTest::newRow((t.name + " no reuse").c_str()) << QString::fromStdString(t.name) << false;
        }
    }
    void scoresEqualFloat64Recomputation() {
        QFETCH(QString, task);
        QFETCH(bool, reuse);
        const auto name = task.toStdString();
        TaskOptions o;
        o.taskDir = kTaskDir;
        o.scoring.maxLength = 512;
        o.scoring.batchDocuments = 3;
        o.scoring.contextReuse = reuse ? ContextReuse::On : ContextReuse::Off;
        const auto results = evaluateTasks(*m_model, *m_bundle.tokenizer, {name}, o);
        const auto& r = results.tasks.front();
        const auto docs = loadTaskDocs(name, kTaskDir + "/" + name + ".jsonl");
        QCOMPARE(r.scores.size(), docs.size());
        double correct = 0, correctNorm = 0, llSum = 0;
        for (std::size_t d = 0; d < docs.size(); ++d) {
            std::vector<double> ll, normed;
            for (std::size_t i = 0; i < docs[d].requests(); ++i) {
                bool greedy = false;
                const auto req =
                    encodeRequest(*m_bundle.tokenizer, docs[d].context(i), docs[d].continuation(i), HarnessCompat::None);
                ll.push_back(referenceLogLikelihood(*m_model, req, &greedy));
                const double got = r.scores[d].logLikelihoods[i];
                QVERIFY2(std::abs(got - ll.back()) < 1e-4,
                         qPrintable(QString("doc %1 request %2: %3 vs float64 %4").arg(d).arg(i).arg(got).arg(ll.back())));
                QCOMPARE(bool(r.scores[d].greedy[i]), greedy);
                normed.push_back(ll.back() / static_cast<double>(docs[d].choices[i].size()));
            }
            const auto best = std::max_element(ll.begin(), ll.end()) - ll.begin();
            const auto bestNorm = std::max_element(normed.begin(), normed.end()) - normed.begin();
            correct += best == docs[d].gold;
            correctNorm += bestNorm == docs[d].gold;
            llSum += ll.front();
        }
        const double n = static_cast<double>(docs.size());
        if (taskInfo(name).loglikelihoodOnly) {
            QVERIFY(std::abs(r.metric("perplexity")->value - std::exp(-llSum / n)) < 1e-3);
        } else {
            QCOMPARE(r.metric("acc")->value, correct / n);
            if (taskInfo(name).accNorm) QCOMPARE(r.metric("acc_norm")->value, correctNorm / n);
        }
        const auto* acc = r.metric("acc");
        const double p = acc->value;
        QVERIFY(std::abs(acc->stderror - std::sqrt(p * (1 - p) * n / (n - 1) / n)) < 1e-12);
    }

    // The compat mode differs from the default only through its encodings: its scores are the scorer's on the
    // v0.3 encodings, and those lack the BOS.
    void compatChangesOnlyTheEncoding() {
        TaskOptions o;
        o.taskDir = kTaskDir;
        o.scoring.maxLength = 512;
        o.compat = HarnessCompat::DuQuant;
        const auto r = evaluateTasks(*m_model, *m_bundle.tokenizer, {"boolq"}, o).tasks.front();
        const auto docs = loadTaskDocs("boolq", kTaskDir + "/boolq.jsonl");
        int differentContinuations = 0;
        for (std::size_t d = 0; d < docs.size(); ++d)
            for (std::size_t i = 0; i < docs[d].requests(); ++i) {
                const auto v3 =
                    encodeRequest(*m_bundle.tokenizer, docs[d].context(i), docs[d].continuation(i), HarnessCompat::DuQuant);
                const auto v4 =
                    encodeRequest(*m_bundle.tokenizer, docs[d].context(i), docs[d].continuation(i), HarnessCompat::None);
                QVERIFY(v3.context.front() != m_bundle.tokenizer->bosId());
                QCOMPARE(v4.context.front(), m_bundle.tokenizer->bosId());
                QCOMPARE(std::vector<std::int32_t>(v4.context.begin() + 1, v4.context.end()), v3.context);
                differentContinuations += v3.continuation != v4.continuation;
                QVERIFY(std::abs(r.scores[d].logLikelihoods[i] - referenceLogLikelihood(*m_model, v3)) < 1e-4);
            }
        // Encoded on its own, " no"/" yes" gains the tokenizer's dummy-prefix space as an extra token (the v0.3
        // quirk the compat mode exists to reproduce): every continuation differs.
        QCOMPARE(differentContinuations, 8);
    }

    void contextReuseMatchesNoReuse() {
        TaskOptions a, b;
        a.taskDir = b.taskDir = kTaskDir;
        a.scoring.maxLength = b.scoring.maxLength = 512;
        a.scoring.contextReuse = ContextReuse::On;
        b.scoring.contextReuse = ContextReuse::Off;
        b.scoring.batchDocuments = 1;
        const auto ra = evaluateTasks(*m_model, *m_bundle.tokenizer, {"hellaswag", "winogrande"}, a);
        const auto rb = evaluateTasks(*m_model, *m_bundle.tokenizer, {"hellaswag", "winogrande"}, b);
        b.scoring.contextReuse = ContextReuse::Auto; // decides per batch; the same numbers either way
        b.scoring.batchDocuments = 2;
        const auto rc = evaluateTasks(*m_model, *m_bundle.tokenizer, {"hellaswag", "winogrande"}, b);
        for (std::size_t t = 0; t < 2; ++t)
            for (std::size_t d = 0; d < ra.tasks[t].scores.size(); ++d)
                for (std::size_t i = 0; i < ra.tasks[t].scores[d].logLikelihoods.size(); ++i) {
                    const double on = ra.tasks[t].scores[d].logLikelihoods[i];
                    QVERIFY(std::abs(on - rb.tasks[t].scores[d].logLikelihoods[i]) < 1e-4);
                    QVERIFY(std::abs(on - rc.tasks[t].scores[d].logLikelihoods[i]) < 1e-4);
                }
    }

    // A context longer than the window is cut from the left, keeping the continuation whole.
    void longContextTruncatedFromTheLeft() {
        EncodedRequest r;
        for (int i = 0; i < 40; ++i) r.context.push_back(10 + i);
        r.continuation = {60, 61, 62};
        ScoringOptions o;
        o.maxLength = 16;
        for (bool reuse : {true, false}) {
            o.contextReuse = reuse ? ContextReuse::On : ContextReuse::Off;
            const auto got = scoreRequests(*m_model, {{r}}, o).front().front();
            EncodedRequest cut{std::vector<std::int32_t>(r.context.end() - 14, r.context.end()), r.continuation};
            QVERIFY(std::abs(got.logLikelihood - referenceLogLikelihood(*m_model, cut)) < 1e-4);
        }
        o.maxLength = 2;
        testutil::expectUsageError([&] { scoreRequests(*m_model, {{r}}, o); }, "longer than the model's context of 2");
    }

    void badTaskFiles() {
        const std::string bad = kTaskDir + "/bad/";
        expectFormatError([&] { loadTaskDocs("piqa", bad + "missing.jsonl"); },
                          "missing.jsonl:2: piqa document: field 'sol1' missing");
        expectFormatError([&] { loadTaskDocs("piqa", bad + "wrongtype.jsonl"); },
                          "wrongtype.jsonl:3: piqa document: field 'goal' is not a string");
        expectFormatError([&] { loadTaskDocs("piqa", bad + "empty.jsonl"); }, "empty.jsonl: no piqa documents");
        expectFormatError([&] { loadTaskDocs("piqa", bad + "broken.jsonl"); }, "broken.jsonl:2: invalid JSON");
        expectFormatError([&] { loadTaskDocs("piqa", bad + "label.jsonl"); },
                          "label.jsonl:1: piqa document: field 'label' = 2 is not one of the 2 choices");
        expectFormatError([&] { loadTaskDocs("piqa", bad + "absent.jsonl"); }, "absent.jsonl: cannot open");
        testutil::expectUsageError([] { parseTaskList("piqa,mmlu"); }, "--tasks: unknown task 'mmlu'");
        testutil::expectUsageError([] { taskFile(OL_TEST_DATA_DIR, "piqa"); }, "has no piqa.jsonl");
        testutil::expectUsageError([] { taskFile("", "piqa"); }, "--tasks needs --task_dir");
        QCOMPARE(parseTaskList(" piqa, boolq,piqa"), (std::vector<std::string>{"piqa", "boolq"}));
    }

    void hellaswagPreprocessing() { QCOMPARE(hellaswagPreprocess("  A [title] b [step] c  d   e "), std::string("A. b c d  e")); }
};

QTEST_APPLESS_MAIN(TestTasks)
#include "tst_tasks.moc"
