// The run-wide random stream of --reference_compat: the same numbers as the
// reference's global torch generator (values printed by Debian's PyTorch 1.13 —
// the LibTorch we link — after torch.manual_seed(2)), replay continues it exactly,
// and the greedy search draws its factor from it.
#include "core/quant/greedyrotation.h"
#include "core/quant/rotationprototypes.h"
#include "core/quant/rotationstream.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <QtTest>

using namespace ol;

class TestRotationStream : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // torch.manual_seed(2); torch.randn(3, 3) four times, then randn(7, 7), randn(20, 20): first three and last
    // values of each. The generator is arithmetic, not BLAS: exact on every CPU.
    void matchesTheGlobalTorchGenerator() {
        struct Draw {
            std::int64_t n;
            float first[3], last;
        };
        const Draw expected[] = {{3, {0.392296821f, -0.223564014f, -0.319500268f}, -0.391905844f},
                                 {3, {-1.04267883f, 1.31861734f, 0.747639f}, -0.23847501f},
                                 {3, {0.0245090444f, -0.491229683f, -0.0591343939f}, 0.155925184f},
                                 {3, {-0.160735413f, 0.417233706f, 1.00036323f}, -0.926647782f},
                                 {7, {0.546143293f, -1.35751295f, 1.14531147f}, -0.15475823f},
                                 {20, {0.231425956f, 2.83265781f, 0.637198627f}, 1.94859397f}};
        RotationStream s(2);
        for (const auto& d : expected) {
            const auto t = s.randn(d.n).flatten();
            QCOMPARE(t.scalar_type(), at::kFloat);
            QCOMPARE(t.numel(), d.n * d.n);
            for (int i = 0; i < 3; ++i) QCOMPARE(t[i].item<float>(), d.first[i]);
            QCOMPARE(t[-1].item<float>(), d.last);
        }
        QCOMPARE(s.takeLog(), (std::vector<std::int64_t>{3, 3, 3, 3, 7, 20}));
        QVERIFY(s.takeLog().empty());
    }

    // A resumed run replays the finished layers' logged sizes: the next draw is the interrupted run's next draw,
    // also across the generator's cached second normal (odd-sized draws below 16 values leave one behind).
    void replayContinuesTheStream() {
        RotationStream original(7);
        (void)original.randn(3);
        (void)original.randn(5);
        const auto log = original.takeLog();
        const auto next = original.randn(3);

        RotationStream resumed(7);
        resumed.replay(log);
        QVERIFY(resumed.takeLog().empty()); // replayed draws belong to the finished layers, not the next log
        QVERIFY(at::equal(resumed.randn(3), next));
    }

    // The greedy search's first factor from a fresh stream is the per-seed draw of the same seed (factorized in
    // float32 as get_rot, so equal to float32 rounding, the same steps taken); the second
    // search from the same stream draws anew; each search logs one (bs − 1) draw.
    void greedySearchDrawsFromTheStream() {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
        auto x = at::randn({64, 32}, gen, at::TensorOptions().dtype(at::kFloat));
        x.select(1, 3).mul_(40);
        GreedyRotationOptions perSeed;
        perSeed.blockSize = 8;
        perSeed.maxSteps = 16;
        perSeed.seed = 2;
        RotationStream stream(2);
        auto fromStream = perSeed;
        fromStream.stream = &stream;
        const auto a = greedyBlockRotation(x, perSeed), b = greedyBlockRotation(x, fromStream);
        QVERIFY(a.swaps == b.swaps);
        QVERIFY(at::allclose(a.rotation.main, b.rotation.main, 0, 1e-5));
        QCOMPARE(stream.takeLog(), (std::vector<std::int64_t>{7}));
        const auto c = greedyBlockRotation(x, fromStream);
        QVERIFY(c.bestPrefix > 0 && !at::allclose(c.rotation.main, b.rotation.main));
        // Ragged tail (36 = 4·8 + 4): the block's factor, then the tail's, both from the stream.
        const auto ragged = at::cat({x, x.narrow(1, 0, 4)}, 1);
        (void)greedyBlockRotation(ragged, fromStream);
        QCOMPARE(stream.takeLog(), (std::vector<std::int64_t>{7, 7, 3}));
    }
};

QTEST_APPLESS_MAIN(TestRotationStream)
#include "tst_rotationstream.moc"
