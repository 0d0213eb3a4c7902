// MMLU: the prompt byte for byte, the CSV reader, the subject table, k reduction and truncation, scoring against
// a float64 recomputation on the bundled model, and the aggregation against hand counts (tests/data/mmlu).
#include "core/errors.h"
#include "core/eval/csvparser.h"
#include "core/eval/mmlu.h"
#include "core/eval/mmlucategories.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/model/tokenizer.h"
#include "core/progress.h"
#include "testutil.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <cmath>

using namespace ol;

namespace {

const std::string kData = OL_TEST_DATA_DIR "/mmlu";

// Puts all its weight on one token at every position: always predicts that letter, so the counts are the hand
// counts of that letter among the answers.
class OneLetterModel : public CausalLm {
public:
    OneLetterModel(std::int64_t vocab, std::int64_t token) : m_vocab(vocab), m_token(token) {}
    at::Tensor logits(const at::Tensor& tokens) override {
        auto l = at::zeros({tokens.size(0), tokens.size(1), m_vocab});
        l.select(2, m_token).fill_(5.0);
        return l;
    }
    c10::Device device() const override { return c10::kCPU; }
    std::int64_t vocabSize() const override { return m_vocab; }

private:
    std::int64_t m_vocab, m_token;
};

class RecordingProgress : public Progress {
public:
    std::vector<std::string> messages;
    bool cancelAfterFirst = false;
    void report(double, const std::string& message) override {
        messages.push_back(message);
        if (cancelAfterFirst) cancel();
    }
};

std::string formatErrorOf(const std::string& path) {
    try {
        readMmluFile(path);
    } catch (const FormatError& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace

class TestMmlu : public QObject {
    Q_OBJECT
    ModelBundle m_bundle;
    std::int64_t m_context = 0;

private Q_SLOTS:
    void initTestCase() {
        m_bundle = openModel({});
        m_context = m_bundle.checkpoint->config().maxPositions;
        QCOMPARE(m_context, 512);
    }

    void subjectTitle() {
        QCOMPARE(mmluSubjectTitle("abstract_algebra"), std::string(" abstract algebra"));
        QCOMPARE(mmluSubjectTitle("high_school_us_history"), std::string(" high school us history"));
        QCOMPARE(mmluSubjectTitle("virology"), std::string(" virology"));
    }

    // Two shots from the dev file, then the test row whose question holds a quoted comma and a line break.
    void promptTwoShots() {
        const auto data = loadMmluData(kData + "/good", {"abstract_algebra"}, 2, -1);
        QCOMPARE(data.size(), std::size_t(1));
        const std::string expected = "The following are multiple choice questions (with answers) about  abstract algebra.\n\n"
                                     "What is the order of the group Z_4?\nA. 2\nB. 4\nC. 8\nD. 16\nAnswer: B\n\n"
                                     "Which of these groups is abelian?\nA. S_3\nB. S_4\nC. Z_6\nD. A_5\nAnswer: C\n\n"
                                     "Let G be a group of order 4.\nWhich statement, if any, is always true?\n"
                                     "A. G is cyclic\nB. G is abelian\nC. G is simple\nD. G has an element of order 3\nAnswer:";
        QCOMPARE(mmluPrompt("abstract_algebra", data[0].dev, 2, data[0].test[1]), expected);
        // Zero shots: the header and the question only; a doubled quote is one quote.
        QCOMPARE(
            mmluPrompt("abstract_algebra", data[0].dev, 0, data[0].test[2]),
            std::string("The following are multiple choice questions (with answers) about  abstract algebra.\n\n"
                        "In a group the identity is written \"e\". What is e * e?\nA. e\nB. 1\nC. 0\nD. undefined\nAnswer:"));
    }

    void csvSyntax() {
        const std::string text = "\xEF\xBB\xBFplain,\"a, b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
                                 "\r\n"
                                 "x,\"\",y\"z,\r\n"
                                 "last,row";
        const auto r = parseCsv(text, "t.csv");
        QCOMPARE(r.size(), std::size_t(3));
        QCOMPARE(r[0].fields, (std::vector<std::string>{"plain", "a, b", "say \"hi\"", "two\nlines"}));
        QCOMPARE(r[0].line, 1);
        // The blank line is skipped; an empty quoted field, a bare quote inside a plain field and a trailing empty
        // field are kept.
        QCOMPARE(r[1].fields, (std::vector<std::string>{"x", "", "y\"z", ""}));
        QCOMPARE(r[1].line, 4);
        QCOMPARE(r[2].fields, (std::vector<std::string>{"last", "row"}));
        QCOMPARE(r[2].line, 5);
        // Line numbers of the good test file: its second row spans lines 2-3.
        const auto q = readMmluFile(kData + "/good/test/abstract_algebra_test.csv");
        QCOMPARE(q.size(), std::size_t(4));
        QCOMPARE(q[1].line, 2);
        QCOMPARE(q[2].line, 4);
        QCOMPARE(q[1].answer, 1);
        QCOMPARE(q[1].choices[3], std::string("G has an element of order 3"));
    }

    void badFiles_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("expected");
        QTest::newRow("columns") << "columns.csv"
                                 << "columns.csv line 3: 5 fields, expected 6";
        QTest::newRow("answer") << "answer.csv"
                                << "answer.csv line 2: answer \"E\" is not one of A, B, C, D";
        QTest::newRow("unterminated") << "unterminated.csv"
                                      << "unterminated.csv line 2: unterminated quoted field";
        QTest::newRow("empty") << "empty.csv"
                               << "empty.csv line 1: empty file";
        QTest::newRow("missing") << "missing.csv"
                                 << "missing.csv: cannot read the MMLU CSV file";
    }

    void badFiles() {
        QFETCH(QString, file);
        QFETCH(QString, expected);
        const auto message = formatErrorOf(kData + "/bad/" + file.toStdString());
        QVERIFY2(message.find(expected.toStdString()) != std::string::npos, message.c_str());
        QVERIFY2(message.find("tests/data/mmlu/bad/") != std::string::npos, message.c_str()); // the full path
    }

    void csvTextAfterQuote() {
        try {
            parseCsv("a,b\n\"q\"x,b\n", "t.csv");
            QFAIL("expected FormatError");
        } catch (const FormatError& e) {
            QCOMPARE(std::string(e.what()).substr(0, 40), std::string("t.csv line 2: text after the closing quo"));
        }
    }

    void dataDirectory() {
        testutil::expectUsageError([] { listMmluSubjects(kData + "/nowhere"); }, "--mmlu_data_dir");
        testutil::expectUsageError([] { listMmluSubjects(kData + "/bad"); }, "has no test/ folder");
        QCOMPARE(listMmluSubjects(kData + "/good"),
                 (std::vector<std::string>{"abstract_algebra", "college_physics", "nutrition"}));
        testutil::expectUsageError([] { loadMmluData(kData + "/good", {"virology"}, 0, -1); }, "--mmlu_subjects");
        testutil::expectUsageError([] { loadMmluData(kData + "/good", {}, 6, -1); }, "fewer than --mmlu_shots 6");
        // The filter is sorted and deduplicated; the limit keeps the first questions.
        const auto two = loadMmluData(kData + "/good", {"nutrition", "abstract_algebra", "nutrition"}, 1, 2);
        QCOMPARE(two.size(), std::size_t(2));
        QCOMPARE(two[0].name, std::string("abstract_algebra"));
        QCOMPARE(two[1].test.size(), std::size_t(2));
        QCOMPARE(two[1].dev.size(), std::size_t(1));
        // No dev folder: fine at zero shots, a FormatError naming the dev file otherwise.
        QCOMPARE(loadMmluData(kData + "/unknown", {}, 0, -1).size(), std::size_t(1));
        try {
            loadMmluData(kData + "/unknown", {}, 1, -1);
            QFAIL("expected FormatError");
        } catch (const FormatError& e) {
            QVERIFY2(std::string(e.what()).find("dev/underwater_basket_weaving_dev.csv") != std::string::npos, e.what());
        }
    }

    void categories() {
        QCOMPARE(mmluCategories().size(), std::size_t(4));
        const std::pair<const char*, const char*> cases[] = {{"abstract_algebra", "STEM"},
                                                             {"college_computer_science", "STEM"},
                                                             {"world_religions", "humanities"},
                                                             {"professional_law", "humanities"},
                                                             {"sociology", "social sciences"},
                                                             {"us_foreign_policy", "social sciences"},
                                                             {"professional_accounting", "other (business, health, misc.)"},
                                                             {"virology", "other (business, health, misc.)"}};
        for (const auto& [subject, category] : cases) {
            const auto c = mmluSubjectCategory(subject);
            QVERIFY(c.known);
            QCOMPARE(c.category, std::string(category));
        }
        const auto unknown = mmluSubjectCategory("underwater_basket_weaving");
        QVERIFY(!unknown.known);
        QCOMPARE(unknown.category, std::string("other (business, health, misc.)"));
    }

    // k drops while the prompt is longer than maxTokens; at k = 0 it is cut from the left, BOS kept.
    void shotReduction() {
        const auto& tok = *m_bundle.tokenizer;
        const auto data = loadMmluData(kData + "/good", {"abstract_algebra"}, 5, -1);
        const auto& s = data[0];
        const auto& q = s.test[0];
        const auto length = [&](std::int64_t k) {
            return static_cast<std::int64_t>(tok.encode(mmluPrompt(s.name, s.dev, k, q), true).size());
        };
        QCOMPARE(mmluPromptTokens(tok, s, q, 5, m_context).shots, 5);
        QCOMPARE(mmluPromptTokens(tok, s, q, 5, length(2)).shots, 2);
        QCOMPARE(mmluPromptTokens(tok, s, q, 5, length(2) - 1).shots, 1);
        const auto fits0 = mmluPromptTokens(tok, s, q, 5, length(0));
        QCOMPARE(fits0.shots, 0);
        QVERIFY(!fits0.truncated);

        const auto cut = mmluPromptTokens(tok, s, q, 5, 10);
        QVERIFY(cut.truncated);
        QCOMPARE(cut.shots, 0);
        QCOMPARE(cut.ids.size(), std::size_t(10));
        QCOMPARE(cut.ids.front(), tok.bosId());
        const auto full = tok.encode(mmluPrompt(s.name, s.dev, 0, q), true);
        QVERIFY(std::equal(cut.ids.begin() + 1, cut.ids.end(), full.end() - 9));
        testutil::expectUsageError([&] { mmluPromptTokens(tok, s, q, 5, 1); }, "--mmlu_max_tokens");

        // Through the evaluation: a limit between the 2- and 5-shot lengths leaves some subject below 5 shots.
        OneLetterModel model(tok.vocabSize(), mmluAnswerTokens(tok)[0]);
        MmluOptions o;
        o.maxTokens = length(3);
        const auto r = evaluateMmlu(model, tok, m_context, kData + "/good", o);
        QCOMPARE(r.maxTokens, length(3));
        QVERIFY(r.subjects[0].minShots < 5);
        for (const auto& subject : r.subjects)
            for (const auto& pq : subject.perQuestion) QVERIFY(pq.tokens <= o.maxTokens);
        QCOMPARE(r.truncated(), 0);

        o.maxTokens = 10;
        const auto t = evaluateMmlu(model, tok, m_context, kData + "/good", o);
        QCOMPARE(t.truncated(), 12);
        QVERIFY(t.table().find("12 prompt(s) longer than 10 tokens even without shots were cut from the left") !=
                std::string::npos);
        o.maxTokens = m_context + 1;
        testutil::expectUsageError([&] { evaluateMmlu(model, tok, m_context, kData + "/good", o); }, "--mmlu_max_tokens");
        o.maxTokens = 0;
        o.batchSize = 0;
        testutil::expectUsageError([&] { evaluateMmlu(model, tok, m_context, kData + "/good", o); }, "--mmlu_batch_size");
    }

    // Each question recomputed alone: one unbatched forward of its prompt, the last position's logits in float64,
    // log_softmax over the vocabulary, the letters picked. Tolerance 1e-4 on the log-probabilities: the batched
    // evaluation pads prompts to the longest of the batch, and the matrix products then sum in another order
    // (measured: 0 difference at batchSize 1, 3.3e-6 at batchSize 3, log-probabilities of -3 to -9); a wrong
    // position or a padding leak moves them by more than 1 (checked by planting one). Predictions must agree.
    void scoringMatchesFloat64() {
        const auto& tok = *m_bundle.tokenizer;
        LlamaModel model(m_bundle.checkpoint, c10::Device(c10::kCPU));
        const auto data = loadMmluData(kData + "/good", {}, 5, -1);
        MmluOptions o;
        const auto one = evaluateMmlu(model, tok, m_context, data, o);
        o.batchSize = 3;
        const auto three = evaluateMmlu(model, tok, m_context, data, o);
        QCOMPARE(one.questions, 12);
        std::array<std::int64_t, 4> letters{};
        for (int i = 0; i < 4; ++i) letters[i] = tok.encode(std::string(1, static_cast<char>('A' + i)), false).back();
        at::NoGradGuard noGrad;
        for (std::size_t si = 0; si < data.size(); ++si) {
            const auto& s = data[si];
            for (std::size_t qi = 0; qi < s.test.size(); ++qi) {
                const auto& got = one.subjects[si].perQuestion[qi];
                const auto& batched = three.subjects[si].perQuestion[qi];
                QCOMPARE(got.shots, 5); // every prompt here fits the 512-token context
                const auto ids = tok.encode(mmluPrompt(s.name, s.dev, got.shots, s.test[qi]), true);
                QCOMPARE(got.tokens, static_cast<std::int64_t>(ids.size()));
                const auto input = at::tensor(std::vector<std::int64_t>(ids.begin(), ids.end()), at::kLong).view({1, -1});
                const auto logp = at::log_softmax(model.logits(input)[0][-1].to(at::kDouble), 0);
                int best = 0;
                for (int c = 0; c < 4; ++c) {
                    const double want = logp[letters[c]].item<double>();
                    if (want > logp[letters[best]].item<double>()) best = c;
                    const auto detail = qPrintable(QString("%1 question %2 letter %3: %4 vs %5 (batched %6)")
                                                       .arg(s.name.c_str())
                                                       .arg(qi)
                                                       .arg(c)
                                                       .arg(got.logProbs[c], 0, 'f', 8)
                                                       .arg(want, 0, 'f', 8)
                                                       .arg(batched.logProbs[c], 0, 'f', 8));
                    QVERIFY2(std::abs(got.logProbs[c] - want) < 1e-4, detail);
                    QVERIFY2(std::abs(batched.logProbs[c] - want) < 1e-4, detail);
                }
                QCOMPARE(got.prediction, best);
                QCOMPARE(batched.prediction, best);
                QCOMPARE(got.answer, s.test[qi].answer);
                QCOMPARE(got.correct, best == s.test[qi].answer);
            }
        }
        QCOMPARE(three.correct, one.correct);
    }

    // The model always answers A: the counts are the A answers of the data files, counted by hand.
    void aggregationHandCounts() {
        const auto& tok = *m_bundle.tokenizer;
        OneLetterModel model(tok.vocabSize(), mmluAnswerTokens(tok)[0]);
        MmluOptions o;
        o.batchSize = 2;
        RecordingProgress progress;
        const auto r = evaluateMmlu(model, tok, m_context, kData + "/good", o, &progress);
        QCOMPARE(r.subjects.size(), std::size_t(3));
        // abstract_algebra A,B,A,C: 2 of 4; college_physics A,D,B: 1 of 3; nutrition A,A,A,C,D: 3 of 5.
        QCOMPARE(r.subjects[0].correct, 2);
        QCOMPARE(r.subjects[1].correct, 1);
        QCOMPARE(r.subjects[2].correct, 3);
        QCOMPARE(r.categories.size(), std::size_t(2));
        QCOMPARE(r.categories[0].category, std::string("STEM"));
        QCOMPARE(r.categories[0].questions, 7);
        QCOMPARE(r.categories[0].correct, 3);
        QCOMPARE(r.categories[1].subjects, 1);
        QCOMPARE(r.correct, 6);
        QCOMPARE(r.questions, 12);
        QVERIFY(std::abs(r.microAccuracy - 6.0 / 12.0) < 1e-12);
        QVERIFY(std::abs(r.macroAccuracy - (2.0 / 4.0 + 1.0 / 3.0 + 3.0 / 5.0) / 3.0) < 1e-12);
        QVERIFY(r.unknownSubjects().empty());
        QVERIFY(r.protocol().starts_with("MMLU, 5-shot (the first dev rows; fewer while the prompt exceeds 512 tokens"));
        QCOMPARE(r.csv(), std::string("subject,category,questions,correct,accuracy\n"
                                      "abstract_algebra,STEM,4,2,0.500000\n"
                                      "college_physics,STEM,3,1,0.333333\n"
                                      "nutrition,\"other (business, health, misc.)\",5,3,0.600000\n"
                                      ",STEM,7,3,0.428571\n"
                                      ",\"other (business, health, misc.)\",5,3,0.600000\n"
                                      "all,micro,12,6,0.500000\n"
                                      "all,macro,12,6,0.477778\n"));
        QCOMPARE(r.table(),
                 std::string(
                     "subject                          category                         questions  correct  accuracy %  shots\n"
                     "abstract_algebra                 STEM                                     4        2       50.00      5\n"
                     "college_physics                  STEM                                     3        1       33.33      5\n"
                     "nutrition                        other (business, health, misc.)          5        3       60.00      5\n"
                     "\n"
                     "STEM                             2 subjects                               7        3       42.86\n"
                     "other (business, health, misc.)  1 subject                                5        3       60.00\n"
                     "\n"
                     "average (micro)                  3 subjects                              12        6       50.00\n"
                     "average (macro)                  3 subjects                              12        6       47.78\n"));
        // Progress: one report per batch of two, with the position (front ends add the ETA), then "done".
        QCOMPARE(progress.messages.size(), std::size_t(2 + 2 + 3 + 1));
        QCOMPARE(progress.messages[0], std::string("subject 1/3 question 2/4"));
        QCOMPARE(progress.messages[6], std::string("subject 3/3 question 5/5"));
        QCOMPARE(progress.messages.back(), std::string("done"));
        RecordingProgress cancelling;
        cancelling.cancelAfterFirst = true;
        QVERIFY_THROWS_EXCEPTION(Cancelled, evaluateMmlu(model, tok, m_context, kData + "/good", o, &cancelling));
        QCOMPARE(cancelling.messages.size(), std::size_t(1));
    }

    void unknownSubject() {
        const auto& tok = *m_bundle.tokenizer;
        OneLetterModel model(tok.vocabSize(), mmluAnswerTokens(tok)[0]);
        MmluOptions o;
        o.shots = 0;
        const auto r = evaluateMmlu(model, tok, m_context, kData + "/unknown", o);
        QCOMPARE(r.unknownSubjects(), std::vector<std::string>{"underwater_basket_weaving"});
        QCOMPARE(r.subjects[0].category, std::string("other (business, health, misc.)"));
        QCOMPARE(r.subjects[0].correct, 1);
        QCOMPARE(r.subjects[0].maxShots, 0);
        QVERIFY(r.table().find("underwater_basket_weaving *") != std::string::npos);
        QVERIFY(r.table().find("* not one of the 57 MMLU subjects") != std::string::npos);
    }
};

QTEST_APPLESS_MAIN(TestMmlu)
#include "tst_mmlu.moc"
