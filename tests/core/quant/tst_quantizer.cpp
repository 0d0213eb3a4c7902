// The §1.4 fake quantizer: hand-computed 4-bit cases, reduction axes, groups,
// clipping and its precedence over LWC, STE gradients, an independent float64
// re-derivation, integer codes, error measures and parameter validation.
#include "core/errors.h"
#include "core/quant/fakequantkernel.h"
#include "core/quant/quantizer.h"

#include "testutil.h"
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <QtTest>
#include <cmath>
#include <limits>
#include <vector>

using namespace ol;

namespace {

at::Tensor row(std::vector<float> v) { return at::tensor(v, at::kFloat).reshape({1, -1}); }

// Element-wise comparison with an absolute tolerance (stated by each caller).
void near(const at::Tensor& got, std::vector<float> want, double tol, const char* what) {
    const at::Tensor w = at::tensor(want, at::kFloat).reshape(got.sizes());
    const double err = (got.to(at::kDouble) - w.to(at::kDouble)).abs().max().item<double>();
    QVERIFY2(err <= tol, qPrintable(QString("%1: max error %2").arg(what).arg(err)));
}

void codesAre(const at::Tensor& codes, std::vector<int> want) {
    QVERIFY(codes.scalar_type() == at::kByte);
    const at::Tensor c = codes.to(at::kInt).flatten();
    QCOMPARE(c.numel(), std::int64_t(want.size()));
    for (std::size_t i = 0; i < want.size(); ++i) QCOMPARE(c[i].item<int>(), want[i]);
}

QuantSpec spec4(bool symmetric = false, double clip = 1.0, std::int64_t group = 0) {
    QuantSpec s;
    s.bits = 4;
    s.symmetric = symmetric;
    s.clip = clip;
    s.groupSize = group;
    return s;
}

// Weights with a few large outliers, as quantizers meet them.
at::Tensor randomWeights(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    at::Tensor w = at::randn({rows, cols}, gen, at::kFloat);
    w.select(1, 3).mul_(20.0);
    return w;
}

} // namespace

class TestQuantizer : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void asymmetricHandComputed() {
        // Row [-1, 0, 0.5, 2], 4 bits: scale = 3/15 = 0.2, zp = round(1/0.2) = 5.
        // x/scale = [-5, 0, 2.5, 10]; 2.5 rounds half to even -> 2; codes [0, 5, 7, 15];
        // x^ = (q - 5) * 0.2 = [-1, 0, 0.4, 2]. Tolerance 1e-7: float32 rounding of 0.2*k.
        const auto x = row({-1.f, 0.f, 0.5f, 2.f});
        const auto p = computeQuantParams(x, spec4());
        QVERIFY(p.scale.sizes() == at::IntArrayRef({1, 1}));
        QCOMPARE(p.scale.item<float>(), 0.2f);
        QCOMPARE(p.zero.item<float>(), 5.f);
        near(fakeQuantize(x, spec4()), {-1.f, 0.f, 0.4f, 2.f}, 1e-7, "asym");
        codesAre(quantizeCodes(x, p, spec4()), {0, 5, 7, 15});
    }

    void symmetricHandComputed() {
        // Same row, symmetric: scale = 2/7, zp = 7. In float32, -1/(2/7) = -3.4999998
        // (not a tie) -> -3; 0.5/(2/7) = 1.7499999 -> 2; 2/(2/7) = 7. Codes [4, 7, 9, 14];
        // x^ = (q - 7) * 2/7 = [-6/7, 0, 4/7, 2]. Tolerance 1e-6 (float32 of k*2/7).
        const auto x = row({-1.f, 0.f, 0.5f, 2.f});
        const auto p = computeQuantParams(x, spec4(true));
        QCOMPARE(p.scale.item<float>(), 2.f / 7.f);
        QCOMPARE(p.zero.item<float>(), 7.f);
        near(fakeQuantize(x, spec4(true)), {-6.f / 7.f, 0.f, 4.f / 7.f, 2.f}, 1e-6, "sym");
        codesAre(quantizeCodes(x, p, spec4(true)), {4, 7, 9, 14});
    }

    void zeroOutsideRangeIsNotForced() {
        // Row [-3, -2, -1] at 2 bits: xmin/xmax are not widened to include 0, so
        // scale = 2/3, zp = round(4.5) = 4 (half to even) lies above qmax = 3.
        // x/scale = [-4.5, -3, -1.5] -> round [-4, -3, -2] + 4 = [0, 1, 2];
        // x^ = (q - 4) * 2/3 = [-8/3, -2, -4/3]. Tolerance 1e-6.
        QuantSpec s;
        s.bits = 2;
        const auto x = row({-3.f, -2.f, -1.f});
        const auto p = computeQuantParams(x, s);
        QCOMPARE(p.zero.item<float>(), 4.f);
        near(fakeQuantize(x, s), {-8.f / 3.f, -2.f, -4.f / 3.f}, 1e-6, "negative row");
    }

    void perTokenOnActivations() {
        // [B, T, C] reduces over C only: one (scale, zp) per token, and each token
        // quantizes exactly as it would alone (bitwise).
        auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
        const at::Tensor x = at::randn({2, 3, 8}, gen, at::kFloat) * at::arange(1, 4, at::kFloat).view({1, 3, 1});
        const auto p = computeQuantParams(x, spec4());
        QVERIFY(p.scale.sizes() == at::IntArrayRef({6, 1}));
        const at::Tensor y = fakeQuantize(x, spec4());
        QVERIFY(y.sizes() == x.sizes());
        for (std::int64_t b = 0; b < 2; ++b)
            for (std::int64_t t = 0; t < 3; ++t) {
                const at::Tensor tok = x[b][t].reshape({1, 8});
                const float want = ((tok.max() - tok.min()) / 15.0).item<float>();
                QCOMPARE(p.scale[b * 3 + t][0].item<float>(), want);
                QVERIFY(at::equal(y[b][t], fakeQuantize(tok, spec4()).flatten()));
            }
    }

    void perChannelWeightsAndGroups() {
        const at::Tensor w = randomWeights(5, 12, 11);
        // Per output channel: row r alone gives the same result.
        const at::Tensor y = fakeQuantize(w, spec4());
        for (std::int64_t r = 0; r < 5; ++r) QVERIFY(at::equal(y[r], fakeQuantize(w[r].reshape({1, 12}), spec4())[0]));
        // Groups of 4 columns: params [5, 3], each group quantized as its own row.
        const auto p = computeQuantParams(w, spec4(false, 1.0, 4));
        QVERIFY(p.scale.sizes() == at::IntArrayRef({5, 3}));
        const at::Tensor yg = fakeQuantize(w, spec4(false, 1.0, 4));
        const at::Tensor ref = fakeQuantize(w.reshape({15, 4}), spec4()).reshape({5, 12});
        QVERIFY(at::equal(yg, ref));
        QVERIFY(!at::equal(yg, y)); // groups do change the result
        testutil::expectUsageError([&] { fakeQuantize(w, spec4(false, 1.0, 5)); }, "groupSize");
    }

    void staticClip() {
        // clip 0.5 on [-1, 0, 0.5, 2]: xmax 1, xmin -0.5, scale 0.1, zp 5;
        // x/scale = [-10, 0, 5, 20] -> q clamp [0, 5, 10, 15] -> [-0.5, 0, 0.5, 1]. Tolerance 1e-7.
        const auto x = row({-1.f, 0.f, 0.5f, 2.f});
        const auto p = computeQuantParams(x, spec4(false, 0.5));
        QCOMPARE(p.scale.item<float>(), 0.1f);
        QCOMPARE(p.zero.item<float>(), 5.f);
        near(fakeQuantize(x, spec4(false, 0.5)), {-0.5f, 0.f, 0.5f, 1.f}, 1e-7, "clip");
    }

    void lwcFactors() {
        // up = low = 4: sigmoid(4) = 0.98201376; xmax = 2*s, xmin = -s,
        // scale = 3*s/15 = 0.19640275, zp = round(s/(0.2*s)) = 5. Tolerance 1e-7.
        const auto x = row({-1.f, 0.f, 0.5f, 2.f});
        LwcFactors lwc{at::full({1, 1}, 4.0f), at::full({1, 1}, 4.0f)};
        const auto p = computeQuantParams(x, spec4(), lwc);
        QVERIFY(std::abs(p.scale.item<float>() - 0.2 / (1.0 + std::exp(-4.0))) < 1e-7);
        QCOMPARE(p.zero.item<float>(), 5.f);
        QVERIFY(!at::equal(fakeQuantize(x, spec4(), lwc), fakeQuantize(x, spec4())));
        // Only the upper bound clipped: up = 0 halves xmax -> scale (1 + 1)/15.
        LwcFactors half{at::zeros({1, 1}), at::full({1, 1}, 100.0f)};
        QVERIFY(std::abs(computeQuantParams(x, spec4(), half).scale.item<float>() - 2.0 / 15.0) < 1e-7);
        // Per-group factors [rows, groups] and broadcast [rows, 1] both accepted.
        const at::Tensor w = randomWeights(4, 8, 3);
        LwcFactors perGroup{at::full({4, 2}, 4.0f), at::full({4, 2}, 4.0f)};
        LwcFactors perRow{at::full({4, 1}, 4.0f), at::full({4, 1}, 4.0f)};
        QVERIFY(at::equal(fakeQuantize(w, spec4(false, 1.0, 4), perGroup), fakeQuantize(w, spec4(false, 1.0, 4), perRow)));
        LwcFactors bad{at::full({3, 1}, 4.0f), at::full({3, 1}, 4.0f)};
        testutil::expectUsageError([&] { fakeQuantize(w, spec4(), bad); }, "LWC");
    }

    void clipWinsOverLwc() {
        // With clip != 1 the LWC factors are ignored entirely (reference precedence):
        // same result bitwise, and no gradient reaches the factors.
        const at::Tensor w = randomWeights(4, 16, 5);
        LwcFactors lwc{at::full({4, 1}, 0.0f).requires_grad_(), at::full({4, 1}, 0.0f).requires_grad_()};
        const at::Tensor y = fakeQuantize(w, spec4(false, 0.8), lwc);
        QVERIFY(at::equal(y, fakeQuantize(w, spec4(false, 0.8))));
        QVERIFY(!y.requires_grad());
    }

    void sixteenBitsIsIdentity() {
        const at::Tensor x = randomWeights(3, 8, 1);
        QuantSpec s; // bits 16
        QVERIFY(!s.enabled());
        QVERIFY(fakeQuantize(x, s).is_same(x));
        s.bits = 32;
        QVERIFY(fakeQuantize(x, s).is_same(x));
    }

    void constantRowClampsScale() {
        // Range 0 -> scale clamps to 1e-5. A zero row stays zero (zp 0). A row of 3s:
        // zp = round(clamp(-3/1e-5, -1e4, 1e4)) = -1e4, q = clamp(300000 - 1e4, 0, 15) = 15,
        // x^ = (15 + 1e4) * 1e-5 = 0.10015: the reference's behaviour, not 3.
        const at::Tensor x = at::cat({at::zeros({1, 4}), at::full({1, 4}, 3.0f)});
        const auto p = computeQuantParams(x, spec4());
        QCOMPARE(p.scale[0][0].item<float>(), 1e-5f);
        QCOMPARE(p.scale[1][0].item<float>(), 1e-5f);
        QCOMPARE(p.zero[0][0].item<float>(), 0.f);
        QCOMPARE(p.zero[1][0].item<float>(), -1e4f);
        const at::Tensor y = fakeQuantize(x, spec4());
        QVERIFY(at::equal(y[0], at::zeros({4})));
        QCOMPARE(y[1][2].item<float>(), (15.f + 1e4f) * 1e-5f);
    }

    void steGradient() {
        // d sum(x^)/dx is exactly 1 for every element inside the range that is not
        // the row's max or min (those also receive the gradient through the scale).
        const at::Tensor w = randomWeights(6, 32, 9);
        const at::Tensor x = w.clone().requires_grad_();
        fakeQuantize(x, spec4()).sum().backward();
        const at::Tensor extreme = w.eq(w.amax(-1, true)) | w.eq(w.amin(-1, true));
        QVERIFY(at::equal(x.grad().masked_select(~extreme), at::ones({(~extreme).sum().item<std::int64_t>()})));
        // With clip 0.5 the elements clamped out of the grid get exactly 0.
        const at::Tensor xc = w.clone().requires_grad_();
        fakeQuantize(xc, spec4(false, 0.5)).sum().backward();
        const auto pc = computeQuantParams(w, spec4(false, 0.5));
        const at::Tensor grid = w / pc.scale + pc.zero;
        const at::Tensor out = ((grid > 15.5) | (grid < -0.5)) & ~extreme;
        QVERIFY(out.any().item<bool>());
        QVERIFY(xc.grad().masked_select(out).eq(0).all().item<bool>());
        // LWC factors learn from an MSE loss, as in the block-wise training.
        LwcFactors lwc{at::full({6, 1}, 4.0f).requires_grad_(), at::full({6, 1}, 4.0f).requires_grad_()};
        (fakeQuantize(w, spec4(), lwc) - w).square().sum().backward();
        QVERIFY(lwc.up.grad().defined() && lwc.low.grad().defined());
        QVERIFY(lwc.up.grad().ne(0).all().item<bool>());
        QVERIFY(lwc.low.grad().ne(0).all().item<bool>());
    }

    void agreesWithFloat64Derivation() {
        // Re-derive §1.4 in float64 with plain loops. Float32 and float64 may round
        // a value sitting on a .5 boundary differently, so: codes equal on >= 99.9%
        // of elements, never more than 1 apart, and x^ within one step (+1e-6 relative).
        const at::Tensor w = randomWeights(64, 128, 21);
        for (QuantSpec s : {spec4(), spec4(true), spec4(false, 0.9, 32), spec4(true, 1.0, 16)}) {
            for (int bits : {3, 4, 8}) {
                s.bits = bits;
                const auto p = computeQuantParams(w, s);
                const at::Tensor codes = quantizeCodes(w, p, s).to(at::kInt).contiguous();
                const at::Tensor y = fakeQuantize(w, s).to(at::kDouble).contiguous();
                const at::Tensor wd = w.to(at::kDouble).contiguous();
                const double* xv = wd.data_ptr<double>();
                const double* yv = y.data_ptr<double>();
                const int* cv = codes.data_ptr<int>();
                const std::int64_t cols = 128, gs = s.groupSize ? s.groupSize : cols;
                const double qmax = std::pow(2.0, bits) - 1;
                std::int64_t same = 0;
                for (std::int64_t r = 0; r < 64; ++r)
                    for (std::int64_t g0 = 0; g0 < cols; g0 += gs) {
                        const double* seg = xv + r * cols + g0;
                        double mx = -1e300, mn = 1e300;
                        for (std::int64_t j = 0; j < gs; ++j) mx = std::max(mx, seg[j]), mn = std::min(mn, seg[j]);
                        mx *= s.clip, mn *= s.clip;
                        double scale, zp;
                        if (s.symmetric) {
                            const double h = std::pow(2.0, bits - 1) - 1;
                            scale = std::clamp(std::max(std::abs(mx), std::abs(mn)) / h, 1e-5, 1e4);
                            zp = h;
                        } else {
                            scale = std::clamp((mx - mn) / qmax, 1e-5, 1e4);
                            zp = std::nearbyint(std::clamp(-mn / scale, -1e4, 1e4));
                        }
                        for (std::int64_t j = 0; j < gs; ++j) {
                            const std::int64_t i = r * cols + g0 + j;
                            const double q = std::clamp(std::nearbyint(seg[j] / scale) + zp, 0.0, qmax);
                            QVERIFY(std::abs(cv[i] - q) <= 1);
                            QVERIFY(std::abs(yv[i] - (q - zp) * scale) <= scale * (1 + 1e-6));
                            same += cv[i] == q;
                        }
                    }
                QVERIFY2(same >= 0.999 * w.numel(), qPrintable(QString("bits %1: %2 equal codes").arg(bits).arg(same)));
            }
        }
    }

    // The one-pass kernel (no gradient, no LWC) against the tensor ops it replaces (taken when x needs a
    // gradient): the same bits for every bit width, symmetric or not, clipped or not, grouped or not, on
    // activation-like rows with outliers, constant rows (scale clamped), infinities and NaN.
    void fusedKernelMatchesTensorOpsBitwise() {
        at::manual_seed(11);
        auto x = at::randn({64, 96});
        x.index_put_({3, 5}, 400.0);               // a massive outlier
        x.index_put_({7}, 0.25);                   // a constant row
        x.index_put_({9}, at::randn({96}) * 1e-7); // a row whose range is below the minimum scale
        x.index_put_({11, 0}, INFINITY);
        x.index_put_({12, 1}, -INFINITY);
        x.index_put_({13, 2}, NAN);
        x.narrow(1, 32, 16).mul_(20.0); // normal-outlier channels
        int cases = 0;
        for (int bits : {2, 3, 4, 6, 8})
            for (bool symmetric : {false, true})
                for (double clip : {1.0, 0.9})
                    for (std::int64_t groupSize : {0, 32}) {
                        const QuantSpec spec{bits, symmetric, clip, groupSize};
                        const auto dispatched = fakeQuantize(x, spec);
                        // The kernel called directly, so that a dispatch that never reached it still fails.
                        auto fast = at::empty_like(x);
                        const std::int64_t gs = groupSize > 0 ? groupSize : x.size(1);
                        fakeQuantizeGroups(x.data_ptr<float>(), fast.data_ptr<float>(), x.numel() / gs, gs,
                                           {bits, symmetric, static_cast<float>(clip)});
                        QVERIFY(at::equal(dispatched.nan_to_num(7.0), fast.nan_to_num(7.0)));
                        at::AutoGradMode grad(true);
                        const auto ops = fakeQuantize(x.clone().requires_grad_(true), spec).detach();
                        QVERIFY2(at::equal(fast.nan_to_num(7.0), ops.nan_to_num(7.0)) && at::equal(fast.isnan(), ops.isnan()),
                                 qPrintable(QString("bits %1 symmetric %2 clip %3 group %4: max difference %5")
                                                .arg(bits)
                                                .arg(symmetric)
                                                .arg(clip)
                                                .arg(groupSize)
                                                .arg((fast - ops).abs().nan_to_num(0.0).max().item<double>())));
                        ++cases;
                    }
        QCOMPARE(cases, 40);
        // Shapes and dtypes come back as given.
        const auto bf = fakeQuantize(at::randn({2, 3, 16}).to(at::kBFloat16), QuantSpec{4});
        QCOMPARE(bf.scalar_type(), at::kBFloat16);
        QCOMPARE(bf.sizes(), (at::IntArrayRef{2, 3, 16}));
    }

    void codesDequantizeBitwise() {
        // dequantize(quantizeCodes(x)) is fakeQuantize(x) bit for bit, in every mode.
        const at::Tensor w = randomWeights(16, 64, 4);
        LwcFactors lwc{at::full({16, 1}, 2.0f), at::full({16, 1}, 3.0f)};
        for (QuantSpec s : {spec4(), spec4(true), spec4(false, 0.85), spec4(false, 1.0, 16), spec4(true, 0.9, 32)}) {
            for (int bits : {2, 3, 4, 6, 8}) {
                s.bits = bits;
                for (bool useLwc : {false, true}) {
                    const LwcFactors f = useLwc && s.groupSize == 0 ? lwc : LwcFactors{};
                    const auto p = computeQuantParams(w, s, f);
                    const at::Tensor codes = quantizeCodes(w, p, s);
                    QVERIFY(codes.sizes() == w.sizes());
                    QVERIFY(codes.to(at::kInt).max().item<int>() <= (1 << bits) - 1);
                    QVERIFY(at::equal(dequantize(codes, p, s), fakeQuantize(w, s, f)));
                }
            }
        }
    }

    void halfPrecisionInputs() {
        // Computed in float32, returned in x's dtype.
        const at::Tensor w = randomWeights(4, 16, 2).to(at::kHalf);
        const at::Tensor y = fakeQuantize(w, spec4());
        QVERIFY(y.scalar_type() == at::kHalf);
        QVERIFY(at::equal(y.to(at::kFloat), fakeQuantize(w.to(at::kFloat), spec4()).to(at::kHalf).to(at::kFloat)));
    }

    void quantErrorKnownValues() {
        // [1,2,3,4] vs [1,2,3,5]: mse 1/4, SQNR 10*log10(30/1) = 14.7712125 dB, max 1.
        const auto e = quantError(at::tensor({1.f, 2.f, 3.f, 4.f}), at::tensor({1.f, 2.f, 3.f, 5.f}));
        QCOMPARE(e.mse, 0.25);
        QVERIFY(std::abs(e.sqnrDb - 14.771212547196624) < 1e-12);
        QCOMPARE(e.maxAbs, 1.0);
        const auto same = quantError(at::tensor({1.f, -2.f}), at::tensor({1.f, -2.f}));
        QCOMPARE(same.mse, 0.0);
        QVERIFY(std::isinf(same.sqnrDb) && same.sqnrDb > 0);
        testutil::expectUsageError([] { quantError(at::zeros({2, 3}), at::zeros({3, 2})); }, "shape");
    }

    void validation() {
        validate(spec4(), "--wbits"); // fine
        QuantSpec s = spec4();
        s.bits = 0;
        testutil::expectUsageError([&] { validate(s, "--wbits"); }, "--wbits: bits");
        s.bits = 17;
        testutil::expectUsageError([&] { validate(s, "--abits"); }, "--abits: bits");
        s = spec4(false, 0.0);
        testutil::expectUsageError([&] { validate(s, "--lac"); }, "--lac: clip");
        s = spec4(false, 1.5);
        testutil::expectUsageError([&] { validate(s, "--swc"); }, "--swc: clip");
        s = spec4(false, std::numeric_limits<double>::quiet_NaN());
        testutil::expectUsageError([&] { validate(s, "--swc"); }, "clip");
        s = spec4(false, 1.0, -1);
        testutil::expectUsageError([&] { validate(s, "--group_size"); }, "--group_size: group size");
        s = spec4(true);
        s.bits = 1;
        testutil::expectUsageError([&] { validate(s, "--wbits"); }, "symmetric");
        testutil::expectUsageError([] { fakeQuantize(at::ones({2, 4}, at::kInt), spec4()); }, "floating point");
        testutil::expectUsageError([] { fakeQuantize(at::scalar_tensor(1.0), spec4()); }, "dimension");
        const auto p = computeQuantParams(at::ones({2, 4}), spec4());
        QuantSpec s16;
        s16.bits = 12;
        testutil::expectUsageError([&] { quantizeCodes(at::ones({2, 4}), p, s16); }, "uint8");
        testutil::expectUsageError([&] { quantizeCodes(at::ones({3, 4}), p, spec4()); }, "params");
    }
};

QTEST_GUILESS_MAIN(TestQuantizer)
#include "tst_quantizer.moc"
