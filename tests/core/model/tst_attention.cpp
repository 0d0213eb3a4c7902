// Both causal-attention implementations against a float64 recomputation of softmax(q·kᵀ/√d + mask)·v,
// the kernel's exp against std::exp, and the dispatch: which shapes take the fused kernel.
#include "core/model/attention.h"
#include "core/model/attentionkernel.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <QtTest>
#include <cmath>
#include <limits>
#include <vector>

using namespace ol;

namespace {

// softmax(q kᵀ / √d + causal mask) v in float64, kv heads expanded by hand.
at::Tensor referenceAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v) {
    const auto groups = q.size(1) / k.size(1);
    const auto qd = q.to(at::kDouble), kd = k.to(at::kDouble).repeat_interleave(groups, 1),
               vd = v.to(at::kDouble).repeat_interleave(groups, 1);
    const auto T = q.size(2);
    auto scores = at::matmul(qd, kd.transpose(2, 3)) / std::sqrt(static_cast<double>(q.size(3)));
    const auto above = at::ones({T, T}, at::kBool).triu(1);
    scores = scores.masked_fill(above, -std::numeric_limits<double>::infinity());
    return at::matmul(at::softmax(scores, -1), vd);
}

double relativeError(const at::Tensor& got, const at::Tensor& want) {
    return ((got.to(at::kDouble) - want).abs().max() / want.abs().max()).item<double>();
}

} // namespace

class TestAttention : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void bothImplementationsMatchFloat64_data() {
        QTest::addColumn<int>("heads");
        QTest::addColumn<int>("kvHeads");
        QTest::addColumn<int>("tokens");
        QTest::addColumn<int>("headDim");
        QTest::newRow("stories260K shape") << 8 << 4 << 256 << 8;
        QTest::newRow("one token") << 2 << 2 << 1 << 8;
        QTest::newRow("tokens not a multiple of 16") << 4 << 1 << 37 << 16;
        QTest::newRow("past a query block") << 4 << 2 << 100 << 4;
        QTest::newRow("7B-like head") << 4 << 4 << 70 << 128;
    }
    void bothImplementationsMatchFloat64() {
        QFETCH(int, heads);
        QFETCH(int, kvHeads);
        QFETCH(int, tokens);
        QFETCH(int, headDim);
        at::manual_seed(7);
        // Scores up to about ±30: the softmax is peaked, the regime where a careless exp or max fails.
        const auto q = at::randn({2, heads, tokens, headDim}) * 2.0;
        const auto k = at::randn({2, kvHeads, tokens, headDim}) * 2.0;
        const auto v = at::randn({2, kvHeads, tokens, headDim});
        const auto want = referenceAttention(q, k, v);
        // Float32 throughout: a few ulp of the largest output (measured: under 1e-6 relative).
        const double fused = relativeError(causalAttentionFused(q, k, v), want);
        const double blocked = relativeError(causalAttentionBlocked(q, k, v), want);
        QVERIFY2(fused < 2e-6, qPrintable(QString("fused: %1").arg(fused)));
        QVERIFY2(blocked < 2e-6, qPrintable(QString("blocked: %1").arg(blocked)));
        // The dispatcher gives one of the two, bit for bit.
        const auto dispatched = causalAttention(q, k, v);
        const auto expected = headDim <= 16 ? causalAttentionFused(q, k, v) : causalAttentionBlocked(q, k, v);
        QVERIFY(at::equal(dispatched.contiguous(), expected.contiguous()));
    }

    void fusedIsDeterministicAcrossThreadCounts() {
        at::manual_seed(3);
        const auto q = at::randn({3, 8, 200, 8}), k = at::randn({3, 4, 200, 8}), v = at::randn({3, 4, 200, 8});
        const int threads = at::get_num_threads();
        at::set_num_threads(1);
        const auto one = causalAttentionFused(q, k, v).contiguous();
        at::set_num_threads(2);
        const auto two = causalAttentionFused(q, k, v).contiguous();
        at::set_num_threads(threads);
        QVERIFY(at::equal(one, two));
    }

    void bfloat16TakesTheBlockedPath() {
        at::manual_seed(5);
        const auto q = at::randn({1, 2, 20, 8}), k = at::randn({1, 2, 20, 8}), v = at::randn({1, 2, 20, 8});
        const auto got = causalAttention(q.to(at::kBFloat16), k.to(at::kBFloat16), v.to(at::kBFloat16));
        QCOMPARE(got.scalar_type(), at::kBFloat16);
        QVERIFY(relativeError(got, referenceAttention(q, k, v)) < 2e-2); // bf16 inputs and output
    }

    void gradientsFlowThroughTheDispatcher() {
        // Training differentiates through the layer: a tensor that needs a gradient must get one.
        at::manual_seed(9);
        auto q = at::randn({1, 2, 12, 8}).requires_grad_(true);
        const auto k = at::randn({1, 2, 12, 8}), v = at::randn({1, 2, 12, 8});
        at::AutoGradMode grad(true);
        causalAttention(q, k, v).sum().backward();
        QVERIFY(q.grad().defined());
        QVERIFY(q.grad().abs().sum().item<double>() > 0);
    }

    void expMatchesStdExp() {
        // Every 1/64 from -90 to 0, plus the ends: within 2 ulp where exp is a normal float, 0 below -87.
        std::vector<float> x;
        for (int i = 0; i <= 90 * 64; ++i) x.push_back(-static_cast<float>(i) / 64.0f);
        x.push_back(-std::numeric_limits<float>::infinity());
        x.push_back(-1e-30f);
        std::vector<float> y(x.size());
        expNonPositive(x.data(), y.data(), static_cast<std::int64_t>(x.size()));
        double worstUlp = 0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (x[i] < -87.0f) {
                QCOMPARE(y[i], 0.0f);
                continue;
            }
            const double want = std::exp(static_cast<double>(x[i]));
            const double ulp = std::nextafter(static_cast<float>(want), 1.0f) - static_cast<float>(want);
            worstUlp = std::max(worstUlp, std::abs(y[i] - want) / ulp);
        }
        QVERIFY2(worstUlp <= 2.0, qPrintable(QString("worst error %1 ulp").arg(worstUlp)));
        QCOMPARE(y[0], 1.0f); // exp(0), the softmax's largest term, is exact
    }
};

QTEST_GUILESS_MAIN(TestAttention)
#include "tst_attention.moc"
