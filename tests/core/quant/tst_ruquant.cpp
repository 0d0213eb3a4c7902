// RUQuant's transforms (algorithms.md §2.2, §2.3): the Householder and Givens
// building blocks, get_R's orthogonality (ragged tails, odd sizes), the paper
// vs reference Givens sign, determinism; and on the bundled model the float64
// invariance of the global reflection, 16-bit exactness and bit-identical resume.
#include "core/calib/calibrationdata.h"
#include "core/calib/calibrator.h"
#include "core/errors.h"
#include "core/model/decoderlayer.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/progress.h"
#include "core/quant/layerquantizer.h"
#include "core/quant/methodregistry.h"
#include "core/quant/pipeline.h"
#include "core/quant/quantizedmodel.h"
#include "core/quant/runstore.h"
#include "core/quant/ruquantrotation.h"
#include "core/quant/sitetransform.h"
#include "core/resources.h"
#include "quanttestutil.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <QtTest>
#include <cmath>
#include <filesystem>

using namespace ol;
using namespace ol::testutil;

namespace {

double maxAbs(const at::Tensor& t) { return t.abs().max().item<double>(); }
double orthogonalityError(const at::Tensor& m) { return maxAbs(m.mm(m.t()) - at::eye(m.size(0), at::kDouble)); }

// Activations with a few heavy channels, so the largest-|entry| choices are not ties.
at::Tensor outlierActivation(std::int64_t n, std::int64_t c, std::uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    auto x = at::randn({n, c}, gen, at::TensorOptions().dtype(at::kFloat));
    x.select(1, 3).mul_(40);
    x.select(1, c - 1).mul_(25);
    return x;
}

} // namespace

class TestRuQuant : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { at::manual_seed(0); }

    // H = I − 2wwᵀ/wᵀw with w = v − u maps v onto u (same norm) exactly, and is symmetric orthogonal.
    void householderMapsOntoTarget() {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
        const auto v = at::randn({33}, gen, at::TensorOptions().dtype(at::kDouble)) * 5;
        auto u = at::rand({33}, gen, at::TensorOptions().dtype(at::kDouble));
        u = u * (v.norm() / u.norm());
        const auto h = householderMatrix(v, u);
        const double rel = maxAbs(h.mv(v) - u) / maxAbs(u);
        QVERIFY2(rel < 1e-6, qPrintable(QString("|Hv - u| / |u| = %1").arg(rel)));
        QVERIFY(orthogonalityError(h) < 1e-12);
        QVERIFY(maxAbs(h - h.t()) < 1e-15);
    }

    // Each 2×2 block is a rotation; paper mode turns v's pair onto the target's direction, reference
    // mode onto its mirror about v (angle 2·angle(v) − angle(t)); norms stay; odd n leaves the last channel.
    void givensPairsLandWhereExpected() {
        auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
        const std::int64_t n = 9;
        const auto v = at::randn({n}, gen, at::TensorOptions().dtype(at::kDouble));
        const auto t = at::rand({n}, gen, at::TensorOptions().dtype(at::kDouble));
        for (bool compat : {false, true}) {
            const auto g = givensBlocks(v, t, compat);
            QVERIFY(orthogonalityError(g) < 1e-12);
            QCOMPARE(g[n - 1][n - 1].item<double>(), 1.0);
            QCOMPARE(maxAbs(g[n - 1].narrow(0, 0, n - 1)), 0.0);
            const auto y = g.mv(v);
            for (std::int64_t i = 0; i < n / 2; ++i) {
                const double v0 = v[2 * i].item<double>(), v1 = v[2 * i + 1].item<double>();
                const double y0 = y[2 * i].item<double>(), y1 = y[2 * i + 1].item<double>();
                const double at_ = std::atan2(t[2 * i + 1].item<double>(), t[2 * i].item<double>());
                const double want = compat ? 2 * std::atan2(v1, v0) - at_ : at_;
                const double r = std::hypot(v0, v1);
                QVERIFY(std::abs(std::hypot(y0, y1) - r) < 1e-12 * r);
                const double err = std::hypot(y0 / r - std::cos(want), y1 / r - std::sin(want));
                QVERIFY2(err < 1e-10, qPrintable(QString("compat %1 pair %2: direction off by %3").arg(compat).arg(i).arg(err)));
            }
        }
    }

    void getROrthogonal_data() {
        QTest::addColumn<int>("channels");
        QTest::addColumn<int>("block");
        QTest::addColumn<bool>("compat");
        QTest::newRow("64 / 16") << 64 << 16 << false;
        QTest::newRow("ragged 70 / 16") << 70 << 16 << false;
        QTest::newRow("odd 45 / 7, tail 3") << 45 << 7 << false;
        QTest::newRow("odd 33 / 5 compat") << 33 << 5 << true;
        QTest::newRow("bs 1") << 8 << 1 << false;
    }
    // The block-diagonal matrix (shared main block, own tail) is orthogonal to 1e-10 and not the identity.
    void getROrthogonal() {
        QFETCH(int, channels);
        QFETCH(int, block);
        QFETCH(bool, compat);
        RuQuantRotationOptions o;
        o.blockSize = block;
        o.referenceCompat = compat;
        const auto r = ruquantBlockRotation(outlierActivation(96, channels, 3), o);
        QCOMPARE(r.channels, std::int64_t(channels));
        QVERIFY(r.tail.defined() == (channels % block != 0));
        const double err = orthogonalityError(r.dense());
        QVERIFY2(err < 1e-10, qPrintable(QString("|RRᵀ - I| = %1").arg(err)));
        if (block > 1) QVERIFY(maxAbs(r.main - at::eye(block, at::kDouble)) > 1e-3);
        // The chain of §2.2 per owner: R₁, zigzag, R₂, orthogonal as a whole.
        const auto m = calibrateRuQuantTransform(outlierActivation(96, channels, 4), o, 1);
        QCOMPARE(m.rotations.size(), std::size_t(2));
        QCOMPARE(m.permutations.size(), std::size_t(1));
        QVERIFY(orthogonalityError(m.dense()) < 1e-10);
    }

    // Same seed, same matrices; another seed, other draws. The input is not modified.
    void deterministicPerSeed() {
        const auto x = outlierActivation(64, 40, 5);
        const auto copy = x.clone();
        RuQuantRotationOptions o;
        o.blockSize = 16;
        const auto a = ruquantBlockRotation(x, o), b = ruquantBlockRotation(x, o);
        QVERIFY(at::equal(a.main, b.main) && at::equal(a.tail, b.tail));
        QVERIFY(at::equal(x, copy));
        o.seed = 445;
        const auto c = ruquantBlockRotation(x, o);
        QVERIFY(maxAbs(a.main - c.main) > 1e-3);
        QVERIFY(at::equal(globalHouseholderVector(x, 9), globalHouseholderVector(x, 9)));
        QVERIFY(!at::equal(globalHouseholderVector(x, 9), globalHouseholderVector(x, 10)));
    }

    // ω = v − u reflects the token row with the largest |entry| onto a non-negative vector of its norm;
    // a zero activation gives no ω.
    void globalHouseholderReflectsTheOutlierRow() {
        const auto x = outlierActivation(50, 24, 6).to(at::kDouble);
        const auto w = globalHouseholderVector(x, 1);
        QVERIFY(w.defined());
        QCOMPARE(w.size(0), std::int64_t(24));
        const auto row = x.abs().argmax().item<std::int64_t>() / 24;
        const auto v = x[row];
        const auto hv = SiteTransform::reflect(v.unsqueeze(0), w.to(at::kDouble)).squeeze(0);
        QVERIFY2(hv.min().item<double>() > -1e-5 * v.norm().item<double>(), "reflected outlier row has a negative entry");
        QVERIFY(std::abs(hv.norm().item<double>() - v.norm().item<double>()) < 1e-10 * v.norm().item<double>());
        QVERIFY(!globalHouseholderVector(at::zeros({5, 24}), 1).defined());
    }

    // Smoothing, R₁·P·R₂ and the global reflection on a real layer, in float64: (x/s·M·H)(W·diag(s)·M·H)ᵀ = x·Wᵀ
    // for every linear (1e-10 relative), with every site reflected.
    void foldsAndTransformsExactInFloat64() {
        auto& f = fixture();
        const auto& config = f.model->config();
        const auto fp = f.model->layer(1).to(c10::Device(c10::kCPU), at::kDouble);
        auto m = MethodRegistry::instance().create("ruquant", {{"block_size", 48}});
        QuantSettings s;
        s.wbits = s.abits = 16;
        LayerQuantizer q(*m, layerContext(1, s), fp);
        const auto input = layerInputs(1, at::kDouble);
        q.calibrate(input.mean(0, true));
        CaptureHook cap;
        decoderLayerForward(fp, config, input.narrow(0, 0, 2), 1, &cap);
        for (const auto& module : linearModules()) {
            const Site site = inputSiteOf(module);
            auto x = cap.x.at(site).reshape({-1, cap.x.at(site).size(-1)});
            const auto& t = q.layer().input(site);
            QVERIFY2(t.find(StepKind::Householder), module.c_str());
            QVERIFY(t.find(StepKind::BlockRotation));
            auto pair = site == Site::AttnInput    ? "qkv"
                        : site == Site::AttnOutput ? "out"
                        : site == Site::MlpInput   ? "fc1"
                                                   : "down";
            auto seen = t.find(StepKind::Scale) ? x : x / q.layer().smoothing.at(pair).to(at::kDouble);
            auto transformed = t.applyToActivation(seen);
            auto ref = at::matmul(x, fp.linear(module).t());
            if (module == "mlp.up_proj") ref = ref / q.layer().smoothing.at("down").to(at::kDouble);
            const auto got = at::matmul(transformed, q.transformedWeight(module).to(at::kDouble).t());
            const double rel = maxAbs(ref - got) / maxAbs(ref);
            QVERIFY2(rel < 1e-10, qPrintable(QString("%1: relative error %2").arg(module.c_str()).arg(rel)));
            // The reflection really acts: dropping it from the activation breaks the identity.
            SiteTransform noH = t;
            std::erase_if(noH.steps, [](const TransformStep& step) { return step.kind == StepKind::Householder; });
            const double relNoH =
                maxAbs(ref - at::matmul(noH.applyToActivation(seen), q.transformedWeight(module).to(at::kDouble).t())) /
                maxAbs(ref);
            QVERIFY2(relNoH > 1e-6, qPrintable(QString("%1: reflection has no effect (%2)").arg(module.c_str()).arg(relNoH)));
        }
    }

    // At 16 bits the whole bundled model with ruquant computes the FP function (logits 2e-5 relative).
    void sixteenBitsEqualsFp_data() {
        QTest::addColumn<QString>("params");
        QTest::newRow("bs4") << R"({"block_size": 4})";
        QTest::newRow("ragged bs48 T2") << R"({"block_size": 48, "permutation_times": 2})";
        QTest::newRow("compat bs8") << R"({"block_size": 8, "reference_compat": true})";
    }
    void sixteenBitsEqualsFp() {
        QFETCH(QString, params);
        auto& f = fixture();
        auto m = MethodRegistry::instance().create("ruquant", nlohmann::json::parse(params.toStdString()));
        auto r = runQuantization(*f.model, f.data, f.act, *m, options(16));
        QuantizedModel q(f.bundle.checkpoint, c10::Device(c10::kCPU), r.layers);
        const auto tokens = at::randint(3, 500, {2, 48}, at::TensorOptions().dtype(at::kLong));
        const auto ref = f.model->logits(tokens), got = q.logits(tokens);
        const double rel = maxAbs(ref - got) / maxAbs(ref);
        QVERIFY2(rel < 2e-5, qPrintable(QString("max relative logit difference %1").arg(rel)));
        QVERIFY(r.layers[0].input(Site::DownInput).find(StepKind::BlockRotation));
        QVERIFY(r.layers[0].input(Site::DownInput).find(StepKind::Householder));
    }

    // A run cancelled after layer 2 and resumed equals an uninterrupted run bit for bit (ω included).
    void resumeIsBitIdentical_data() {
        QTest::addColumn<QString>("params");
        QTest::newRow("ruquant") << R"({"block_size": 4})";
        QTest::newRow("ruquant+lh") << R"({"block_size": 4, "max_rotation_step": 4, "lh": true, "epochs": 1})";
    }
    void resumeIsBitIdentical() {
        QFETCH(QString, params);
        auto& f = fixture();
        auto m = MethodRegistry::instance().create("ruquant", nlohmann::json::parse(params.toStdString()));
        QuantizationResult a, b;
        runAndResume(*m, "ruq-resume", a, b);
        if (QTest::currentTestFailed()) return;
        for (std::size_t i = 0; i < a.layers.size(); ++i) {
            for (const auto& mod : linearModules())
                QVERIFY2(at::equal(a.layers[i].weights.linear(mod), b.layers[i].weights.linear(mod)), mod.c_str());
            for (Site s : kLinearInputs) {
                QVERIFY(a.layers[i].input(s).find(StepKind::Householder));
                testutil::expectEqualTransforms(a.layers[i].input(s), b.layers[i].input(s), siteKey(s));
            }
        }
        QuantizedModel qa(f.bundle.checkpoint, c10::Device(c10::kCPU), a.layers);
        QuantizedModel qb(f.bundle.checkpoint, c10::Device(c10::kCPU), b.layers);
        const auto tokens = at::randint(3, 500, {2, 48}, at::TensorOptions().dtype(at::kLong));
        QVERIFY(at::equal(qa.logits(tokens), qb.logits(tokens)));
    }
};

QTEST_GUILESS_MAIN(TestRuQuant)
#include "tst_ruquant.moc"
