// The rotation → zigzag → rotation chain: M is orthogonal, apply() equals the
// dense product, (X·M)(W·M)ᵀ = X·Wᵀ, and the search is deterministic per seed.
#include "core/errors.h"
#include "core/quant/duquanttransform.h"
#include "core/quant/zigzag.h"

#include <ATen/ATen.h>
#include <QtTest>

using namespace ol;

namespace {

double maxAbs(const at::Tensor& t) { return t.abs().max().item<double>(); }

at::Tensor activation(std::int64_t n, std::int64_t c) {
    auto x = at::randn({n, c}, at::kFloat);
    for (std::int64_t j : {std::int64_t(3), std::int64_t(17), std::int64_t(40), c - 2}) x.select(1, j).mul_(40);
    return x;
}

DuQuantTransformOptions options(std::int64_t bs, int steps, int times, std::uint64_t seed = 2) {
    DuQuantTransformOptions o;
    o.rotation.blockSize = bs;
    o.rotation.maxSteps = steps;
    o.rotation.seed = seed;
    o.permutationTimes = times;
    return o;
}

// M = R_1·P_1·R_2·… from the parts, independently of apply(): X·P = X[:, perm] means P[perm[new], new] = 1.
at::Tensor denseFromParts(const DuQuantTransform& t, std::int64_t c) {
    auto m = t.rotations.at(0).dense();
    for (std::size_t i = 0; i < t.permutations.size(); ++i) {
        auto p = at::zeros({c, c}, at::kDouble);
        for (std::int64_t j = 0; j < c; ++j) p[t.permutations[i][j].item<std::int64_t>()][j] = 1.0;
        m = m.mm(p).mm(t.rotations.at(i + 1).dense());
    }
    return m;
}

void checkTransform(const DuQuantTransform& t, std::int64_t c) {
    QCOMPARE(t.channels(), c);
    QVERIFY(!t.isIdentity());
    const auto m = t.dense();
    QCOMPARE(m.scalar_type(), at::kDouble);
    QVERIFY(maxAbs(m - denseFromParts(t, c)) < 1e-12);
    QVERIFY(maxAbs(m.mm(m.t()) - at::eye(c, at::kDouble)) < 1e-10);
    const auto x = at::randn({3, 9, c}, at::kDouble); // any leading dims: the permutation acts on the last
    QVERIFY(maxAbs(t.apply(x) - x.matmul(m)) < 1e-10);
    const auto x2 = x.view({27, c}), w = at::randn({11, c}, at::kDouble);
    const auto ref = x2.mm(w.t());
    QVERIFY(maxAbs(t.apply(x2).mm(t.apply(w).t()) - ref) <= 1e-10 * maxAbs(ref));
}

} // namespace

class TestDuQuantTransform : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() { at::manual_seed(1); }

    void chainIsOrthogonalAndInvariant_data() {
        QTest::addColumn<qint64>("c");
        QTest::addColumn<qint64>("bs");
        QTest::newRow("128/16") << qint64(128) << qint64(16);
        QTest::newRow("172/16 ragged") << qint64(172) << qint64(16);
        QTest::newRow("172/4") << qint64(172) << qint64(4);
    }
    void chainIsOrthogonalAndInvariant() {
        QFETCH(qint64, c);
        QFETCH(qint64, bs);
        const auto x = activation(96, c);
        const auto t = calibrateDuQuantTransform(x, options(bs, 48, 1));
        QCOMPARE(t.rotations.size(), std::size_t(2));
        QCOMPARE(t.permutations.size(), std::size_t(1));
        checkTransform(t, c);
        // The transform tames the outliers: the range of x·M is well below x's.
        const auto y = t.apply(x);
        QCOMPARE(y.scalar_type(), at::kFloat);
        QVERIFY((y.max() - y.min()).item<double>() < 0.6 * (x.max() - x.min()).item<double>());
    }

    void chainFollowsGreedyAndZigzag() {
        // R_1 from the activation with seed s, the zigzag of x·R_1, then R_2 from the permuted tensor with seed s + 2.
        const auto x = activation(80, 112);
        const auto o = options(16, 40, 1, 5);
        const auto t = calibrateDuQuantTransform(x, o);
        auto ro = o.rotation;
        const auto g1 = greedyBlockRotation(x, ro);
        auto a = g1.rotation.apply(x);
        const auto perm = zigzagPermutation(a, 16);
        ro.seed = 7;
        const auto g2 = greedyBlockRotation(a.index_select(1, perm), ro);
        QVERIFY(at::equal(t.rotations[0].main, g1.rotation.main));
        QVERIFY(at::equal(t.permutations[0], perm));
        QVERIFY(at::equal(t.rotations[1].main, g2.rotation.main));
        QVERIFY(g1.bestPrefix > 0 && g2.bestPrefix > 0); // both searches did rotate
    }

    void permutationTimes() {
        const auto x = activation(64, 96);
        const auto t0 = calibrateDuQuantTransform(x, options(16, 24, 0));
        QCOMPARE(t0.rotations.size(), std::size_t(1));
        QVERIFY(t0.permutations.empty());
        checkTransform(t0, 96);
        const auto t2 = calibrateDuQuantTransform(x, options(16, 24, 2));
        QCOMPARE(t2.rotations.size(), std::size_t(3));
        QCOMPARE(t2.permutations.size(), std::size_t(2));
        checkTransform(t2, 96);
        QVERIFY_THROWS_EXCEPTION(UsageError, calibrateDuQuantTransform(x, options(16, 24, -1)));
        QVERIFY_THROWS_EXCEPTION(UsageError, calibrateDuQuantTransform(x, options(128, 24, 1)));
        // Zero steps: identity rotations around the zigzag, still an exact orthogonal chain.
        checkTransform(calibrateDuQuantTransform(x, options(16, 0, 1)), 96);
    }

    void deterministicPerSeed() {
        const auto x = activation(64, 96);
        const auto a = calibrateDuQuantTransform(x, options(16, 32, 1, 7)).dense();
        const auto b = calibrateDuQuantTransform(x, options(16, 32, 1, 7)).dense();
        const auto c = calibrateDuQuantTransform(x, options(16, 32, 1, 8)).dense();
        QVERIFY(at::equal(a, b));
        QVERIFY(maxAbs(a - c) > 1e-3);
        // The same input in float64 searches the same float32 values.
        QVERIFY(at::equal(a, calibrateDuQuantTransform(x.to(at::kDouble), options(16, 32, 1, 7)).dense()));
    }

    void identityTransform() {
        DuQuantTransform t;
        QVERIFY(t.isIdentity());
        QCOMPARE(t.channels(), std::int64_t(0));
        const auto x = at::randn({4, 8});
        QVERIFY(at::equal(t.apply(x), x));
    }
};

QTEST_GUILESS_MAIN(TestDuQuantTransform)
#include "tst_duquanttransform.moc"
