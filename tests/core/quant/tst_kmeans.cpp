// Seeded k-means++ with restarts and RPTQ's channel layout: separated groups
// are found, results depend only on points and seed, no cluster is empty,
// and bad cluster counts are refused.
#include "core/errors.h"
#include "core/quant/clusterquant.h"
#include "core/quant/kmeans.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <set>

using namespace ol;

namespace {

// Three well separated groups of (max, min) points, interleaved over 30 channels.
at::Tensor threeGroups() {
    at::manual_seed(1);
    auto centres = at::tensor({10.0, -10.0, 1.0, -1.0, 100.0, -3.0}, at::kDouble).view({3, 2});
    auto idx = at::arange(30, at::kLong).remainder(3);
    return centres.index_select(0, idx) + 0.01 * at::randn({30, 2}, at::kDouble);
}

} // namespace

class TestKMeans : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void findsSeparatedGroups() {
        KMeansOptions o;
        o.clusters = 3;
        o.seed = 7;
        const auto r = kmeans(threeGroups(), o);
        QCOMPARE(r.labels.size(), std::size_t(30));
        // Channel i belongs with i+3, i+6, ...: exactly the planted groups, whatever the label numbering.
        for (int i = 3; i < 30; ++i) QCOMPARE(r.labels[i], r.labels[i - 3]);
        QVERIFY(r.labels[0] != r.labels[1] && r.labels[1] != r.labels[2] && r.labels[0] != r.labels[2]);
        QVERIFY(r.inertia < 30 * 2 * 1e-3); // only the 0.01 noise is left (expected about 0.006)
    }

    void layoutIsClusterByClusterAndDeterministic() {
        KMeansOptions o;
        o.clusters = 3;
        o.seed = 11;
        const auto a = clusterChannels(threeGroups(), o), b = clusterChannels(threeGroups(), o);
        QVERIFY(at::equal(a.order, b.order));
        QCOMPARE(a.sizes, (std::vector<std::int64_t>{10, 10, 10}));
        // Ranked by first channel: 0, 3, 6, ... then 1, 4, 7, ... then 2, 5, 8, ...
        const auto expected = at::cat({at::arange(0, 30, 3), at::arange(1, 30, 3), at::arange(2, 30, 3)}).to(at::kLong);
        QVERIFY(at::equal(a.order, expected));
    }

    // Random points (no clear structure) with one restart: the same seed gives the same labels; another seed
    // is allowed to agree, but over 8 seeds some must differ (else the seed would not reach the draws).
    void seedDecidesTheResult() {
        at::manual_seed(3);
        const auto pts = at::randn({200, 2}, at::kDouble);
        KMeansOptions o;
        o.clusters = 8;
        o.restarts = 1;
        o.seed = 5;
        const auto ref = kmeans(pts, o).labels;
        QCOMPARE(kmeans(pts, o).labels, ref);
        std::set<std::vector<int>> distinct;
        for (std::uint64_t s = 0; s < 8; ++s) {
            o.seed = s;
            distinct.insert(kmeans(pts, o).labels);
        }
        QVERIFY(distinct.size() > 1);
        // More restarts never end with a higher inertia than the first restart alone.
        o.seed = 5;
        const double one = kmeans(pts, o).inertia;
        o.restarts = 10;
        QVERIFY(kmeans(pts, o).inertia <= one);
    }

    // Identical points and as many clusters as points: every cluster still gets one point.
    void noEmptyCluster() {
        KMeansOptions o;
        o.clusters = 6;
        const auto r = kmeans(at::zeros({6, 2}, at::kDouble), o);
        QCOMPARE(std::set<int>(r.labels.begin(), r.labels.end()).size(), std::size_t(6));
        const auto c = clusterChannels(at::cat({at::zeros({4, 2}), at::ones({4, 2})}).to(at::kDouble), {3, 2, 300, 0});
        QCOMPARE(c.sizes.size(), std::size_t(3));
        for (auto s : c.sizes) QVERIFY(s > 0);
    }

    void badClusterCounts() {
        KMeansOptions o;
        o.clusters = 31;
        QVERIFY_THROWS_EXCEPTION(UsageError, kmeans(threeGroups(), o));
        o.clusters = 0;
        QVERIFY_THROWS_EXCEPTION(UsageError, kmeans(threeGroups(), o));
    }

    // One scale/zero per cluster, from the cluster's min of mins and max of maxes; 4-bit grid on [-1, 2]
    // for the first cluster gives scale 3/15 and zero point 5: both ends of that cluster survive exactly.
    void staticQuantizerPerCluster() {
        const auto mn = at::tensor({-1.0, 0.0, -5.0, -4.0, -3.0}), mx = at::tensor({1.0, 2.0, 5.0, 4.0, 3.0});
        const auto q = staticQuantFromRanges(mn, mx, {2, 3}, 4, 1.0);
        QCOMPARE(q.scale.sizes().vec(), (std::vector<std::int64_t>{5}));
        QVERIFY(std::abs(q.scale[0].item<double>() - 0.2) < 1e-7 && q.scale[1].item<double>() == q.scale[0].item<double>());
        QVERIFY(std::abs(q.scale[2].item<double>() - 10.0 / 15) < 1e-6 && q.scale[4].item<double>() == q.scale[2].item<double>());
        const auto x = at::tensor({-1.0f, 2.0f, -5.0f, 5.0f, 0.1f}).view({1, 5});
        const auto y = fakeQuantizeStatic(x, q);
        QVERIFY(std::abs(y[0][0].item<double>() + 1) < 1e-6 && std::abs(y[0][1].item<double>() - 2) < 1e-6);
        // The second cluster [-5, 5]: zero point round(7.5) = 8, so 5 lands one step below (asymmetric grid).
        QVERIFY(std::abs(y[0][3].item<double>() - 7 * 10.0 / 15) < 1e-5);
        // Beyond the calibrated range: clamped to the cluster's grid.
        QVERIFY(std::abs(fakeQuantizeStatic(at::tensor({9.0f, 9.0f, 9.0f, 9.0f, 9.0f}), q)[0].item<double>() - 2) < 1e-6);
    }

    // Variable weight groups: codes and dequantization equal per-group quantization column block by block.
    void variableWeightGroups() {
        at::manual_seed(4);
        const auto w = at::randn({6, 10});
        const auto sizes = at::tensor({3, 5, 2}, at::kLong);
        QuantSpec spec{4, false, 1.0, 0};
        const auto p = computeGroupedParams(w, spec, sizes);
        QCOMPARE(p.scale.sizes().vec(), (std::vector<std::int64_t>{6, 3}));
        const auto deq = dequantizeGrouped(quantizeGroupedCodes(w, p, spec, sizes), p, spec, sizes);
        std::int64_t start = 0;
        for (std::int64_t g = 0; g < 3; ++g) {
            const auto n = sizes[g].item<std::int64_t>();
            QVERIFY(at::equal(deq.narrow(1, start, n), fakeQuantize(w.narrow(1, start, n).contiguous(), spec)));
            start += n;
        }
        QVERIFY_THROWS_EXCEPTION(UsageError, computeGroupedParams(w, spec, at::tensor({3, 3}, at::kLong)));
        // One-column groups have zero range: the unclamped zero point keeps each value (within the 1e-5 minimum
        // scale / 2); the DuQuant quantizer's ±1e4 zero clamp would move e.g. 0.5 to 0.1.
        const auto ones = at::ones({10}, at::kLong);
        const auto p1 = computeGroupedParams(w, spec, ones);
        const auto deq1 = dequantizeGrouped(quantizeGroupedCodes(w, p1, spec, ones), p1, spec, ones);
        QVERIFY2((deq1 - w).abs().max().item<double>() < 1e-5,
                 qPrintable(QString::number((deq1 - w).abs().max().item<double>())));
    }
};

QTEST_GUILESS_MAIN(TestKMeans)
#include "tst_kmeans.moc"
