// The forward against golden values from llama2.c's own reference program
// (run.c, fp32), see resources/README.md.
#include "core/eval/perplexity.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/model/tokenizer.h"
#include "core/resources.h"

#include <ATen/ATen.h>
#include <QtTest>

using namespace ol;

class TestLlamaForward : public QObject {
    Q_OBJECT
    std::shared_ptr<const Checkpoint> m_ck;

private Q_SLOTS:
    void initTestCase() {
        m_ck = openCheckpoint(bundledModelPath());
        const auto& c = m_ck->config();
        QCOMPARE(c.hiddenSize, 64);
        QCOMPARE(c.intermediateSize, 172);
        QCOMPARE(c.numLayers, 5);
        QCOMPARE(c.numHeads, 8);
        QCOMPARE(c.numKvHeads, 4);
        QCOMPARE(c.vocabSize, 512);
        QCOMPARE(c.maxPositions, 512);
        QVERIFY(c.tieWordEmbeddings);
        QVERIFY(c.rotaryInterleaved);
    }

    void goldenLogits() {
        LlamaModel model(m_ck, c10::Device(c10::kCPU));
        // The first six tokens of the golden prompt are enough for positions 0..5.
        auto tokens = at::tensor(std::vector<std::int64_t>{1, 403, 407, 261, 378, 432}).view({1, 6});
        auto logits = model.forward(tokens)[0];
        struct Row {
            int pos, argmax;
            double top, l0, l1, l2, l3;
        };
        const Row rows[] = {{0, 403, 17.02352, -6.22291, 8.40434, -6.22374, -6.22254},
                            {1, 407, 18.45999, -9.58946, 3.84128, -9.59053, -9.58919},
                            {2, 261, 17.13696, -12.14110, 1.77625, -12.14295, -12.14102},
                            {5, 383, 18.60512, -6.34501, 0.67720, -6.34644, -6.34497}};
        for (const auto& r : rows) {
            auto l = logits[r.pos];
            QCOMPARE(l.argmax().item<std::int64_t>(), static_cast<std::int64_t>(r.argmax));
            const double got[] = {l[r.argmax].item<double>(), l[0].item<double>(), l[1].item<double>(), l[2].item<double>(),
                                  l[3].item<double>()};
            const double want[] = {r.top, r.l0, r.l1, r.l2, r.l3};
            for (int i = 0; i < 5; ++i)
                QVERIFY2(std::abs(got[i] - want[i]) < 1e-4, qPrintable(QString("pos %1 value %2: got %3 want %4")
                                                                           .arg(r.pos)
                                                                           .arg(i)
                                                                           .arg(got[i], 0, 'f', 6)
                                                                           .arg(want[i], 0, 'f', 6)));
        }
    }

    void goldenPromptNll() {
        auto bundle = openModel({});
        const auto ids = bundle.tokenizer->encode("Once upon a time, there was a little girl named Lily.\n", true);
        QCOMPARE(ids.size(), std::size_t(17));
        LlamaModel model(bundle.checkpoint, c10::Device(c10::kCPU));
        PerplexityOptions o;
        o.seqlen = 17;
        const auto r = evaluatePerplexity(model, ids, o);
        QCOMPARE(r.windows, 1);
        QVERIFY2(std::abs(r.meanNll - 0.6236) < 1e-4, qPrintable(QString::number(r.meanNll, 'f', 6)));
    }

    void goldenPerplexity_data() {
        QTest::addColumn<int>("seqlen");
        QTest::addColumn<int>("windows");
        QTest::addColumn<double>("ppl");
        QTest::newRow("W=512") << 512 << 69 << 3.045462;
        QTest::newRow("W=256") << 256 << 138 << 3.123063;
    }
    void goldenPerplexity() {
        QFETCH(int, seqlen);
        QFETCH(int, windows);
        QFETCH(double, ppl);
        auto bundle = openModel({});
        const auto ids = tokenizeTextFile(*bundle.tokenizer, bundledEvalText());
        QCOMPARE(ids.size(), std::size_t(35355));
        LlamaModel model(bundle.checkpoint, c10::Device(c10::kCPU));
        PerplexityOptions o;
        o.seqlen = seqlen;
        o.batchSize = 8;
        const auto r = evaluatePerplexity(model, ids, o);
        QCOMPARE(r.windows, static_cast<std::int64_t>(windows));
        QVERIFY2(std::abs(r.ppl / ppl - 1.0) < 1e-5, qPrintable(QString::number(r.ppl, 'f', 7)));
    }

    void bfloat16CloseToFloat32() {
        LlamaModel fp(m_ck, c10::Device(c10::kCPU), c10::kFloat);
        LlamaModel bf(m_ck, c10::Device(c10::kCPU), c10::kBFloat16);
        auto tokens = at::tensor(std::vector<std::int64_t>{1, 403, 407, 261, 378, 432}).view({1, 6});
        auto a = fp.forward(tokens), b = bf.forward(tokens);
        QCOMPARE(b.scalar_type(), at::kFloat);
        // bf16 has 8 mantissa bits: logits of magnitude ~20 agree to a few tenths.
        const double maxDiff = (a - b).abs().max().item<double>();
        QVERIFY2(maxDiff < 0.5, qPrintable(QString::number(maxDiff)));
        QCOMPARE(b[0].argmax(-1).equal(a[0].argmax(-1)), true);
    }

    void streamedEqualsResident() {
        LlamaModel resident(m_ck, c10::Device(c10::kCPU));
        LlamaModel streamed(m_ck, c10::Device(c10::kCPU), c10::kFloat, LlamaModel::Residency::Streamed);
        auto tokens = at::randint(0, 512, {2, 32}, at::kLong);
        QVERIFY(resident.forward(tokens).equal(streamed.forward(tokens)));
    }

    // Streamed embedding rows and classifier are the same float32 values: the same NLL bit for bit.
    void streamedNllEqualsResident() {
        LlamaModel resident(m_ck, c10::Device(c10::kCPU));
        LlamaModel streamed(m_ck, c10::Device(c10::kCPU), c10::kFloat, LlamaModel::Residency::Streamed);
        QVERIFY(resident.resident() && !streamed.resident());
        auto tokens = at::randint(0, 512, {2, 64}, at::kLong);
        QVERIFY(resident.tokenNll(tokens).equal(streamed.tokenNll(tokens)));
    }

    // The classifier a vocabulary slice at a time with a running log-sum-exp agrees with log_softmax over
    // the whole logits (float32 rounding: 1e-5), slices of 256 of the 512 rows here.
    void classifierSlicesAgreeWithTheWholeLogits() {
        LlamaModel model(m_ck, c10::Device(c10::kCPU));
        auto tokens = at::randint(0, 512, {2, 64}, at::kLong);
        const auto whole = nllOfLogits(model.forward(tokens).narrow(1, 0, 63), tokens.narrow(1, 1, 63));
        QVERIFY(model.tokenNll(tokens).equal(whole)); // one slice: the plain computation
        model.setLogitSliceElements(256 * 2 * 64);
        const auto sliced = model.tokenNll(tokens);
        QCOMPARE(sliced.sizes(), whole.sizes());
        const double diff = (sliced - whole).abs().max().item<double>();
        QVERIFY2(diff < 1e-5, qPrintable(QString::number(diff)));
    }

    void textShorterThanOneWindow() {
        LlamaModel model(m_ck, c10::Device(c10::kCPU));
        PerplexityOptions o;
        o.seqlen = 256;
        std::vector<std::int32_t> few(100, 5);
        try {
            evaluatePerplexity(model, few, o);
            QFAIL("expected an error");
        } catch (const std::exception& e) {
            QVERIFY2(QString(e.what()).contains("100 tokens"), e.what());
        }
    }
};

QTEST_APPLESS_MAIN(TestLlamaForward)
#include "tst_llamaforward.moc"
