// The zigzag permutation: §1.7.4's worked example, a ragged last block, and
// that the result is always a permutation.
#include "core/errors.h"
#include "core/quant/zigzag.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <vector>

using namespace ol;

namespace {

// Three tokens; channel j's max |x| is mags[j] (reached with alternating signs, so |x| matters, not x).
at::Tensor withMagnitudes(const std::vector<double>& mags) {
    const auto c = std::int64_t(mags.size());
    auto x = 0.5 * at::rand({3, c}, at::kDouble) * at::tensor(mags, at::kDouble);
    for (std::int64_t j = 0; j < c; ++j) x[j % 3][j] = (j % 2 ? -1.0 : 1.0) * mags[j];
    return x;
}

std::vector<std::int64_t> toVector(const at::Tensor& t) {
    const auto c = t.contiguous();
    return {c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel()};
}

} // namespace

class TestZigzag : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void init() { at::manual_seed(1); }

    void paperExample() {
        // Channels by descending magnitude: s0..s7 = 1, 6, 3, 4, 7, 0, 5, 2. With K = 4 blocks of 2 the walk
        // 0,1,2,3,3,2,1,0 gives block0 = {s0, s7}, block1 = {s1, s6}, block2 = {s2, s5}, block3 = {s3, s4}.
        const auto perm = zigzagPermutation(withMagnitudes({3, 8, 1, 6, 5, 2, 7, 4}), 2);
        QCOMPARE(perm.scalar_type(), at::kLong);
        const std::vector<std::int64_t> want = {1, 2, 6, 5, 3, 0, 4, 7};
        QCOMPARE(toVector(perm), want);
    }

    void raggedLastBlock() {
        // C = 10, bs = 4: blocks of 4, 4, 2. Walk 0,1,2,2,1,0,0,1,[2,2 full: skipped],1,0:
        // block0 = {s0, s5, s6, s9}, block1 = {s1, s4, s7, s8}, block2 = {s2, s3}. Here s_k = channel 9 − k.
        std::vector<double> mags;
        for (int j = 0; j < 10; ++j) mags.push_back(1.0 + j);
        const auto perm = zigzagPermutation(withMagnitudes(mags), 4);
        const std::vector<std::int64_t> want = {9, 4, 3, 0, 8, 5, 2, 1, 7, 6};
        QCOMPARE(toVector(perm), want);
    }

    void alwaysAPermutation_data() {
        QTest::addColumn<qint64>("c");
        QTest::addColumn<qint64>("bs");
        QTest::newRow("172/128") << qint64(172) << qint64(128);
        QTest::newRow("172/4") << qint64(172) << qint64(4);
        QTest::newRow("64/48") << qint64(64) << qint64(48);
        QTest::newRow("64/64") << qint64(64) << qint64(64);
        QTest::newRow("4096/128") << qint64(4096) << qint64(128);
    }
    void alwaysAPermutation() {
        QFETCH(qint64, c);
        QFETCH(qint64, bs);
        auto x = at::randn({32, c}, at::kFloat);
        x.narrow(1, 0, c / 8).mul_(30); // outliers crowded into the first block
        const auto perm = zigzagPermutation(x, bs);
        QCOMPARE(perm.numel(), c);
        QVERIFY(at::equal(std::get<0>(perm.sort()), at::arange(std::int64_t(c), at::kLong)));
        // Each full block's channels are sorted by max |x| descending.
        const auto m = x.abs().amax(0).index_select(0, perm);
        for (std::int64_t b = 0; b + bs <= c; b += bs) {
            const auto blk = m.narrow(0, b, bs);
            QVERIFY(at::equal(blk, std::get<0>(blk.sort(0, true))));
        }
    }

    void validation() {
        QVERIFY_THROWS_EXCEPTION(UsageError, zigzagPermutation(at::randn({4, 64}), 128));
        QVERIFY_THROWS_EXCEPTION(UsageError, zigzagPermutation(at::randn({64}), 4));
        auto x = at::randn({4, 8});
        x[1][2] = std::nanf("");
        QVERIFY_THROWS_EXCEPTION(UsageError, zigzagPermutation(x, 4));
    }
};

QTEST_GUILESS_MAIN(TestZigzag)
#include "tst_zigzag.moc"
