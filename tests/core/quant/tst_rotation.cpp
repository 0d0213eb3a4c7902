// Rotation prototypes, block-diagonal rotations and DuQuant's greedy search:
// orthogonality, the Helmert prototype's even spreading, the exact invariance
// (X·M)(W·M)ᵀ = X·Wᵀ, and the fast search against the literal one.
#include "core/errors.h"
#include "core/progress.h"
#include "core/quant/blockrotation.h"
#include "core/quant/greedyrotation.h"
#include "core/quant/greedysearchmemo.h"
#include "core/quant/rotationprototypes.h"
#include "core/quant/rotationstream.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <QtTest>
#include <cmath>

using namespace ol;

namespace {

double maxAbs(const at::Tensor& t) { return t.abs().max().item<double>(); }

double orthogonalityError(const at::Tensor& m) { return maxAbs(m.mm(m.t()) - at::eye(m.size(0), at::kDouble)); }

// Random normal activation with a few ×50 outlier channels and one ×20 token, as the bench data.
at::Tensor outlierActivation(std::int64_t n, std::int64_t c, std::uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto x = at::randn({n, c}, gen, at::TensorOptions().dtype(at::kFloat));
    auto cols = at::randperm(c, gen, at::TensorOptions().dtype(at::kLong)).narrow(0, 0, std::min<std::int64_t>(10, c / 4));
    for (std::int64_t i = 0; i < cols.size(0); ++i) x.select(1, cols[i].item<std::int64_t>()).mul_(50);
    x.select(0, n / 3).mul_(20);
    return x;
}

// Rows whose extremes are not where the norms are: half the tokens ±1 everywhere (block-row norm sqrt(bs),
// max 1), half small noise plus one spike of 3 (norm ≈ 3). The pruning must keep the low-norm spiky rows.
at::Tensor spikyActivation(std::int64_t n, std::int64_t c, std::uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto opts = at::TensorOptions().dtype(at::kFloat);
    auto x = 0.01 * at::randn({n, c}, gen, opts);
    x.narrow(0, 0, n / 2).copy_(at::randint(0, 2, {n / 2, c}, gen, opts) * 2 - 1);
    const auto cols = at::randint(0, c, {n - n / 2}, gen, at::TensorOptions().dtype(at::kLong));
    for (std::int64_t t = n / 2; t < n; ++t) x[t][cols[t - n / 2].item<std::int64_t>()] = (t % 2 ? 3.0f : -3.0f);
    return x;
}

BlockRotation randomBlockRotation(std::int64_t c, std::int64_t bs) {
    auto r = BlockRotation::identity(c, bs);
    r.main = randomOrthogonal(bs, 11);
    if (r.tail.defined()) r.tail = randomOrthogonal(c % bs, 12);
    return r;
}

template <typename F> QString usageMessage(F&& f) {
    try {
        f();
    } catch (const UsageError& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

class CancelledProgress : public Progress {
public:
    CancelledProgress() { cancel(); }
    void report(double, const std::string&) override {}
};

} // namespace

class TestRotation : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() { at::manual_seed(1); } // every test function sees the same random inputs, whatever runs before

    void helmertSpreadsEvenly() {
        const auto r = helmertPrototype(8);
        QCOMPARE(r.scalar_type(), at::kDouble);
        QVERIFY(orthogonalityError(r) < 1e-12);
        QVERIFY(maxAbs(r[0] - 1.0 / std::sqrt(8.0)) < 1e-15); // row 0 is the constant 1/sqrt(n)
        // One outlier in channel 0: x·R spreads it evenly over all 8 channels.
        auto x = at::zeros({1, 8}, at::kDouble);
        x[0][0] = 8.0;
        QVERIFY(maxAbs(x.mm(r) - 8.0 / std::sqrt(8.0)) < 1e-12);
        // The other rows are "difference" vectors: orthogonal to the constant one, so they sum to 0.
        QVERIFY(maxAbs(r.narrow(0, 1, 7).sum(1)) < 1e-12);
        QVERIFY(maxAbs(helmertPrototype(1) - at::ones({1, 1}, at::kDouble)) == 0);
        // n = 2 by hand: the Givens [[c, −s], [s, c]] with 0 and 1 swapped.
        const double h = 1 / std::sqrt(2.0);
        QVERIFY(maxAbs(helmertPrototype(2) - at::tensor({h, h, -h, h}, at::kDouble).view({2, 2})) < 1e-15);
        QVERIFY(orthogonalityError(helmertPrototype(128)) < 1e-12);
    }

    void randomOrthogonalAndHadamard() {
        const auto q = randomOrthogonal(16, 2);
        QCOMPARE(q.scalar_type(), at::kDouble);
        QVERIFY(orthogonalityError(q) < 1e-12);
        QVERIFY(at::equal(q, randomOrthogonal(16, 2)));
        QVERIFY(maxAbs(q - randomOrthogonal(16, 3)) > 0.1);
        QCOMPARE(randomOrthogonal(0, 2).numel(), 0);
        const auto h = normalizedHadamard(8);
        QVERIFY(orthogonalityError(h) < 1e-12);
        QVERIFY(maxAbs(h.abs() - 1 / std::sqrt(8.0)) < 1e-15);
        QVERIFY(usageMessage([] { normalizedHadamard(6); }).contains("power of two"));
    }

    void blockRotationApplyMatchesDense_data() {
        QTest::addColumn<qint64>("c");
        QTest::addColumn<qint64>("bs");
        QTest::newRow("172/128 ragged") << qint64(172) << qint64(128);
        QTest::newRow("172/4") << qint64(172) << qint64(4);
        QTest::newRow("64/48 ragged") << qint64(64) << qint64(48);
        QTest::newRow("64/64") << qint64(64) << qint64(64);
    }
    void blockRotationApplyMatchesDense() {
        QFETCH(qint64, c);
        QFETCH(qint64, bs);
        const auto r = randomBlockRotation(c, bs);
        QCOMPARE(r.tail.defined(), c % bs != 0);
        const auto m = r.dense();
        QCOMPARE(m.sizes(), (at::IntArrayRef{c, c}));
        QVERIFY(orthogonalityError(m) < 1e-12);
        const auto x = at::randn({2, 5, c}, at::kDouble);
        QVERIFY(maxAbs(r.apply(x) - x.matmul(m)) < 1e-12);
        // The invariance every transform of this project relies on.
        const auto x2 = x.view({10, c}), w = at::randn({7, c}, at::kDouble);
        const auto ref = x2.mm(w.t());
        QVERIFY(maxAbs(r.apply(x2).mm(r.apply(w).t()) - ref) <= 1e-10 * maxAbs(ref));
        // Other dtypes: matrices are cast to the input's.
        const auto y = r.apply(x.to(at::kFloat));
        QCOMPARE(y.scalar_type(), at::kFloat);
        QVERIFY(maxAbs(y.to(at::kDouble) - x.matmul(m)) < 1e-4);
        QVERIFY(maxAbs(BlockRotation::identity(c, bs).apply(x) - x) == 0);
    }

    void blockRotationValidation() {
        const auto msg = usageMessage([] { BlockRotation::identity(64, 128); });
        QVERIFY2(msg.contains("128") && msg.contains("64"), qPrintable(msg));
        QVERIFY(!usageMessage([] { BlockRotation::identity(64, 0); }).isEmpty());
        QVERIFY(!usageMessage([] { BlockRotation::identity(64, 8).apply(at::zeros({3, 63})); }).isEmpty());
    }

    void greedyNeverWorseThanNoRotation() {
        for (std::uint64_t seed : {1, 2, 3}) {
            GreedyRotationOptions o;
            o.blockSize = 16;
            o.maxSteps = 40;
            o.seed = seed;
            const auto x = at::randn({64, 80}, at::kFloat);
            const auto g = greedyBlockRotation(x, o);
            QCOMPARE(g.peaks.size(), std::size_t(41));
            QCOMPARE(g.swaps.size(), std::size_t(40));
            QVERIFY(g.peaks[g.bestPrefix] <= g.peaks[0]);
            QVERIFY(*std::min_element(g.peaks.begin(), g.peaks.end()) == g.peaks[g.bestPrefix]);
            // The recorded objective is the range of x rotated by the best prefix (float32 search).
            const auto y = g.rotation.apply(x.to(at::kDouble));
            QVERIFY(std::abs((y.max() - y.min()).item<double>() - g.peaks[g.bestPrefix]) < 1e-4 * g.peaks[0]);
            QVERIFY(orthogonalityError(g.rotation.main) < 1e-12);
        }
    }

    void greedySpreadsASingleOutlier() {
        // Rot = helmert·diag(1, Q): its row 0 is (1, 1ᵀQ)/sqrt(bs), so one step turns an outlier a into entries
        // a/sqrt(bs) times roughly N(0, 1) factors: with bs = 128 the range falls to about half of a.
        auto x = 0.1 * at::randn({64, 256}, at::kFloat);
        x[5][77] = 100.0f;
        GreedyRotationOptions o;
        o.blockSize = 128;
        o.maxSteps = 16;
        const auto g = greedyBlockRotation(x, o);
        QCOMPARE(g.swaps[0], std::int64_t(77));
        QVERIFY2(g.peaks[g.bestPrefix] < 0.7 * g.peaks[0], qPrintable(QString::number(g.peaks[g.bestPrefix])));
        QVERIFY(g.bestPrefix >= 1);
        // The outlier's energy is spread: the largest entry of its row holds well under half of it.
        const auto y = g.rotation.apply(x.to(at::kDouble));
        QVERIFY(y[5].abs().max().item<double>() < 40.0);
        QVERIFY(std::abs(y[5].norm().item<double>() - x[5].to(at::kDouble).norm().item<double>()) < 1e-4);
    }

    void greedyPaperVersusReferenceIndex() {
        // Outlier at token 1, channel 6 with bs = 4, C = 8: the [N·C/bs, bs] view puts it at row 1·2 + 1 = 3,
        // column 2. The paper rotates in-block channel 2; the reference code rotates 3 mod 4 = 3.
        auto x = 0.01 * at::randn({4, 8}, at::kFloat);
        x[1][6] = -50.0f;
        GreedyRotationOptions o;
        o.blockSize = 4;
        o.maxSteps = 1;
        QCOMPARE(greedyBlockRotation(x, o).swaps.at(0), std::int64_t(2));
        QCOMPARE(greedyBlockRotationStraightforward(x, o).swaps.at(0), std::int64_t(2));
        o.referenceCompat = true;
        QCOMPARE(greedyBlockRotation(x, o).swaps.at(0), std::int64_t(3));
        QCOMPARE(greedyBlockRotationStraightforward(x, o).swaps.at(0), std::int64_t(3));
        // In a ragged tail (C = 10, bs = 4: channels 8, 9) the step rotates the tail: swap = 8 + d.
        auto t = 0.01 * at::randn({4, 10}, at::kFloat);
        t[2][9] = 50.0f;
        o.referenceCompat = false;
        const auto g = greedyBlockRotation(t, o);
        QCOMPARE(g.swaps.at(0), std::int64_t(9));
        QVERIFY(g.bestPrefix == 1);
        QVERIFY(maxAbs(g.rotation.main - at::eye(4, at::kDouble)) == 0);
        QVERIFY(maxAbs(g.rotation.tail - at::eye(2, at::kDouble)) > 0.1);
        o.referenceCompat = true; // row of a tail element = its token: 2 mod 2 = 0
        QCOMPARE(greedyBlockRotation(t, o).swaps.at(0), std::int64_t(8));
    }

    void greedyFastEqualsStraightforward_data() {
        QTest::addColumn<qint64>("n");
        QTest::addColumn<qint64>("c");
        QTest::addColumn<qint64>("bs");
        QTest::addColumn<int>("steps");
        QTest::addColumn<bool>("compat");
        QTest::addColumn<qint64>("seed");
        QTest::addColumn<bool>("spiky");
        QTest::newRow("256x512 bs64") << qint64(256) << qint64(512) << qint64(64) << 96 << false << qint64(1) << false;
        QTest::newRow("256x512 bs64 compat") << qint64(256) << qint64(512) << qint64(64) << 96 << true << qint64(2) << false;
        QTest::newRow("200x172 bs128 ragged") << qint64(200) << qint64(172) << qint64(128) << 64 << false << qint64(3) << false;
        QTest::newRow("200x172 bs48 ragged compat")
            << qint64(200) << qint64(172) << qint64(48) << 64 << true << qint64(4) << false;
        QTest::newRow("256x172 bs4") << qint64(256) << qint64(172) << qint64(4) << 256 << false << qint64(5) << false;
        QTest::newRow("256x64 bs4 compat") << qint64(256) << qint64(64) << qint64(4) << 256 << true << qint64(6) << false;
        QTest::newRow("512x1024 bs128") << qint64(512) << qint64(1024) << qint64(128) << 256 << false << qint64(7) << false;
        QTest::newRow("spiky 256x256 bs32") << qint64(256) << qint64(256) << qint64(32) << 64 << false << qint64(8) << true;
        QTest::newRow("spiky 300x200 bs64 ragged compat")
            << qint64(300) << qint64(200) << qint64(64) << 64 << true << qint64(9) << true;
    }
    void greedyFastEqualsStraightforward() {
        QFETCH(qint64, n);
        QFETCH(qint64, c);
        QFETCH(qint64, bs);
        QFETCH(int, steps);
        QFETCH(bool, compat);
        QFETCH(qint64, seed);
        QFETCH(bool, spiky);
        const auto x = spiky ? spikyActivation(n, c, std::uint64_t(seed)) : outlierActivation(n, c, std::uint64_t(seed));
        GreedyRotationOptions o;
        o.blockSize = bs;
        o.maxSteps = steps;
        o.referenceCompat = compat;
        o.seed = std::uint64_t(seed);
        const auto fast = greedyBlockRotation(x, o), ref = greedyBlockRotationStraightforward(x, o);
        QVERIFY(fast.swaps == ref.swaps);
        QCOMPARE(fast.bestPrefix, ref.bestPrefix);
        // The same float32 products per row, but OpenBLAS rounds a row differently depending on how many
        // rows share the product (kernel choice), so the recorded ranges agree to float32 rounding only.
        double worst = 0;
        for (std::size_t i = 0; i < ref.peaks.size(); ++i)
            worst = std::max(worst, std::abs(fast.peaks[i] - ref.peaks[i]) / ref.peaks[0]);
        QVERIFY2(worst < 1e-5, qPrintable(QString("peaks differ by %1 (relative)").arg(worst)));
        QVERIFY(maxAbs(fast.rotation.main - ref.rotation.main) <= 1e-5);
        if (c % bs) QVERIFY(maxAbs(fast.rotation.tail - ref.rotation.tail) <= 1e-5);
        if (!spiky)
            QVERIFY(fast.peaks[fast.bestPrefix] <
                    (bs >= 48 ? 0.5 : 1.0) * fast.peaks[0]); // outliers spread (weakly in blocks of 4)
    }

    void greedyThreadsDoNotChangeTheSteps() {
        // 4096 rows of 128: four chunks, spread over the cores when there are several.
        const auto x = outlierActivation(512, 1024, 11);
        GreedyRotationOptions o;
        o.blockSize = 128;
        o.maxSteps = 128;
        const int threads = at::get_num_threads();
        at::set_num_threads(1);
        const auto serial = greedyBlockRotation(x, o);
        at::set_num_threads(std::max(2, threads));
        const auto parallel = greedyBlockRotation(x, o);
        at::set_num_threads(threads);
        QVERIFY(parallel.swaps == serial.swaps);
        QCOMPARE(parallel.bestPrefix, serial.bestPrefix);
        // Each chunk is the same product; only a multi-threaded BLAS inside the serial run could round a row
        // differently, so the ranges agree to float32 rounding (in practice exactly).
        for (std::size_t i = 0; i < serial.peaks.size(); ++i)
            QVERIFY2(std::abs(parallel.peaks[i] - serial.peaks[i]) <= 1e-6 * serial.peaks[0], qPrintable(QString::number(i)));
    }

    void greedyMemoAnswersPrefixes() {
        const auto x = outlierActivation(200, 172, 12); // a ragged tail: both prototypes
        GreedyRotationOptions o;
        o.blockSize = 48;
        o.seed = 7;
        GreedySearchMemo memo;
        auto search = [&](int steps, GreedySearchMemo* m) {
            auto opts = o;
            opts.maxSteps = steps;
            opts.memo = m;
            return greedyBlockRotation(x, opts);
        };
        const auto first = search(60, &memo); // a miss, stored
        QCOMPARE(memo.counts().misses, 1);
        for (int steps : {60, 41, 7, 0}) {
            const auto fresh = search(steps, nullptr), memoized = search(steps, &memo);
            QVERIFY(memoized.swaps == fresh.swaps);
            QVERIFY(memoized.peaks == fresh.peaks);
            QCOMPARE(memoized.bestPrefix, fresh.bestPrefix);
            QCOMPARE(maxAbs(memoized.rotation.main - fresh.rotation.main), 0.0);
            QCOMPARE(maxAbs(memoized.rotation.tail - fresh.rotation.tail), 0.0);
        }
        QCOMPARE(memo.counts().hits, 4);
        QVERIFY(first.swaps == search(60, nullptr).swaps);
        // Anything else is a miss: more steps, another seed, another block size or index rule, other values.
        search(61, &memo);
        QCOMPARE(memo.counts().misses, 2);
        search(61, &memo); // stored in place of the 60-step record
        QCOMPARE(memo.counts().hits, 5);
        auto other = o;
        other.maxSteps = 10;
        other.memo = &memo;
        other.seed = 8;
        greedyBlockRotation(x, other);
        other.seed = 7, other.blockSize = 32;
        greedyBlockRotation(x, other);
        other.blockSize = 48, other.referenceCompat = true;
        greedyBlockRotation(x, other);
        other.referenceCompat = false;
        auto changed = x.clone();
        changed[0][0] += 1e-3F;
        greedyBlockRotation(changed, other);
        QCOMPARE(memo.counts().misses, 6);
        QCOMPARE(memo.counts().hits, 5);
        // A search drawing from a run's stream depends on the draws before it: never memoized.
        RotationStream stream(3);
        other.stream = &stream;
        greedyBlockRotation(x, other);
        QCOMPARE(memo.counts().misses + memo.counts().hits, 11);
    }

    void greedyZeroStepsIsIdentity() {
        GreedyRotationOptions o;
        o.blockSize = 16;
        o.maxSteps = 0;
        const auto g = greedyBlockRotation(outlierActivation(32, 40, 1), o);
        QCOMPARE(g.peaks.size(), std::size_t(1));
        QCOMPARE(g.bestPrefix, 0);
        QVERIFY(g.swaps.empty());
        QVERIFY(maxAbs(g.rotation.dense() - at::eye(40, at::kDouble)) == 0);
    }

    void greedyValidation() {
        GreedyRotationOptions o;
        const auto x = at::randn({16, 64});
        auto msg = usageMessage([&] { greedyBlockRotation(x, o); });
        QVERIFY2(msg.contains("`block_size` 128") && msg.contains("64 channels"), qPrintable(msg));
        o.blockSize = 16;
        auto bad = x.clone();
        bad[3][5] = std::nanf("");
        QVERIFY(usageMessage([&] { greedyBlockRotation(bad, o); }).contains("NaN/Inf"));
        bad[3][5] = INFINITY;
        QVERIFY(usageMessage([&] { greedyBlockRotationStraightforward(bad, o); }).contains("NaN/Inf"));
        QVERIFY(!usageMessage([&] { greedyBlockRotation(x.view({-1}), o); }).isEmpty());
        o.maxSteps = -1;
        QVERIFY(usageMessage([&] { greedyBlockRotation(x, o); }).contains("max_rotation_step"));
        o.maxSteps = 1000;
        CancelledProgress cancelled;
        QVERIFY_THROWS_EXCEPTION(Cancelled, greedyBlockRotation(x, o, &cancelled));
    }
};

QTEST_GUILESS_MAIN(TestRotation)
#include "tst_rotation.moc"
