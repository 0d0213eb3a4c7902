// The KV cache: a forward continued from cached keys and values equals the full forward, one token at a
// time, in chunks, for left-padded batches and for rows copied from one context.
#include "core/model/checkpoint.h"
#include "core/model/kvcache.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/resources.h"

#include <ATen/ATen.h>
#include <QtTest>

using namespace ol;

namespace {

// Largest absolute logit difference; the full forward's logits are about 20 in magnitude, and a cached
// forward sums its attention in another order, so 1e-4 is float rounding only.
constexpr double kTolerance = 1e-4;

double maxDiff(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

at::Tensor tokens(std::int64_t rows, std::int64_t length, std::int64_t seed) {
    at::manual_seed(seed);
    auto t = at::randint(3, 500, {rows, length}, at::TensorOptions().dtype(at::kLong));
    t.select(1, 0).fill_(1); // BOS
    return t;
}

} // namespace

class TestKvCache : public QObject {
    Q_OBJECT
    std::unique_ptr<LlamaModel> m_model;

private Q_SLOTS:
    void initTestCase() { m_model = std::make_unique<LlamaModel>(openCheckpoint(bundledModelPath()), c10::Device(c10::kCPU)); }

    void oneTokenAtATimeEqualsFullForward() {
        const auto ids = tokens(2, 40, 1);
        const auto full = m_model->logits(ids);
        KvCache cache;
        const auto first = m_model->logitsCached(ids.narrow(1, 0, 25), cache);
        QCOMPARE(cache.length, 25);
        // The first chunk runs the same attention kernel as the full forward; only the matrix products' blocking
        // over 25 instead of 40 rows differs (bit-identical with one OpenBLAS kernel, not with Haswell's).
        QVERIFY(maxDiff(first, full.narrow(1, 0, 25)) < kTolerance);
        for (std::int64_t t = 25; t < 40; ++t) {
            const auto step = m_model->logitsCached(ids.narrow(1, t, 1), cache);
            const double d = maxDiff(step, full.narrow(1, t, 1));
            QVERIFY2(d < kTolerance, qPrintable(QString("position %1: %2").arg(t).arg(d)));
        }
        QCOMPARE(cache.length, 40);
        QCOMPARE(cache.keys.front().size(2), 40);
    }

    void chunkAfterChunk() {
        const auto ids = tokens(1, 60, 2);
        const auto full = m_model->logits(ids);
        KvCache cache;
        std::vector<at::Tensor> parts;
        for (std::int64_t t = 0; t < 60; t += 17)
            parts.push_back(m_model->logitsCached(ids.narrow(1, t, std::min<std::int64_t>(17, 60 - t)), cache));
        QVERIFY(maxDiff(at::cat(parts, 1), full) < kTolerance);
    }

    // Rows of different lengths, left-padded with garbage tokens marked invalid: each row's logits equal
    // its own unpadded forward (rotary is relative, so the shifted positions change nothing but rounding).
    void leftPaddedRowsEqualTheirOwnForward() {
        const auto a = tokens(1, 30, 3), b = tokens(1, 18, 4);
        auto padded = at::full({2, 30}, 7, at::TensorOptions().dtype(at::kLong));
        padded[0].copy_(a[0]);
        padded[1].narrow(0, 12, 18).copy_(b[0]);
        auto valid = at::ones({2, 30}, at::TensorOptions().dtype(at::kBool));
        valid[1].narrow(0, 0, 12).fill_(false);
        KvCache cache;
        const auto got = m_model->logitsCached(padded, cache, valid);
        QVERIFY(maxDiff(got[0], m_model->logits(a)[0]) < kTolerance);
        QVERIFY(maxDiff(got[1].narrow(0, 12, 18), m_model->logits(b)[0]) < kTolerance);
        QVERIFY(at::isfinite(got).all().item<bool>());
        // Continuing both rows: the padding stays invisible.
        const auto next = tokens(2, 5, 5);
        const auto cont = m_model->logitsCached(next, cache);
        QVERIFY(maxDiff(cont[0], m_model->logits(at::cat({a, next.narrow(0, 0, 1)}, 1))[0].narrow(0, 30, 5)) < kTolerance);
        QVERIFY(maxDiff(cont[1], m_model->logits(at::cat({b, next.narrow(0, 1, 1)}, 1))[0].narrow(0, 18, 5)) < kTolerance);
    }

    // One context, three continuations: the context's cache copied to three rows.
    void rowsCopiedFromOneContext() {
        const auto context = tokens(1, 20, 6), choices = tokens(3, 6, 7);
        KvCache cache;
        m_model->logitsCached(context, cache);
        auto rows = cache.selectRows(at::zeros({3}, at::TensorOptions().dtype(at::kLong)));
        QCOMPARE(rows.keys.front().size(0), 3);
        const auto got = m_model->logitsCached(choices, rows);
        for (std::int64_t c = 0; c < 3; ++c) {
            const auto whole = at::cat({context, choices.narrow(0, c, 1)}, 1);
            QVERIFY(maxDiff(got[c], m_model->logits(whole)[0].narrow(0, 20, 6)) < kTolerance);
        }
        QCOMPARE(cache.length, 20); // the original is untouched
    }
};

QTEST_APPLESS_MAIN(TestKvCache)
#include "tst_kvcache.moc"
