// The method-agnostic site transform: every step kind keeps x·Wᵀ exactly
// (float64), the serializer round-trips every kind, format-1 layers load as
// steps in their old order, and a new method is a list of steps: a plain
// Hadamard rotation method, written here in a dozen lines, runs through the
// pipeline, the exact 16-bit identity, resume and export untouched.
#include "quanttestutil.h"

#include "core/model/modelconfig.h"
#include "core/quant/layerserializer.h"
#include "core/quant/quantexport.h"
#include "core/quant/quantizedmodel.h"
#include "core/quant/rotationprototypes.h"
#include "core/quant/sitetransform.h"

#include <ATen/ATen.h>
#include <QtTest>

using namespace ol;
using namespace ol::testutil;

namespace {

double relError(const at::Tensor& ref, const at::Tensor& got) {
    return (ref - got).abs().max().item<double>() / ref.abs().max().item<double>();
}

BlockRotation randomBlocks(std::int64_t channels, std::int64_t block, std::uint64_t seed) {
    BlockRotation r = BlockRotation::identity(channels, block);
    r.main = randomOrthogonal(block, seed);
    if (channels % block) r.tail = randomOrthogonal(channels % block, seed + 1);
    return r;
}

// Every step kind once, in an order no method uses (the order is the list's, not a fixed one).
SiteTransform everyStep(std::int64_t c, std::uint64_t seed) {
    at::manual_seed(static_cast<std::int64_t>(seed));
    SiteTransform t;
    t.steps.push_back(TransformStep::scale(at::rand({c}, at::kDouble) + 0.5));
    t.steps.push_back(TransformStep::hadamard(c, c & -c)); // the largest power of two dividing c
    t.steps.push_back(TransformStep::permute(at::randperm(c, at::kLong)));
    t.steps.push_back(TransformStep::blockRotation(randomBlocks(c, 12, seed)));
    t.steps.push_back(TransformStep::householder(at::randn({c}, at::kDouble)));
    return t;
}

// QuaRot's idea without its online machinery: each linear input rotated by the largest Hadamard block
// that divides its channels. This is the whole method.
class HadamardMethod : public QuantMethod {
public:
    std::string name() const override { return "hadamard-test"; }
    nlohmann::json parameters() const override { return nlohmann::json::object(); }
    SiteTransform transformFor(const LayerContext&, Site, const at::Tensor& x, SiteTransform placed) const override {
        const auto c = x.size(-1);
        placed.steps.push_back(TransformStep::hadamard(c, c & -c));
        return placed;
    }
};

} // namespace

class TestSiteTransform : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // (x·T)(W·T)ᵀ = x·Wᵀ, the scale step's ×s folded into W beforehand as prepare() does (1e-12 relative).
    void everyStepKeepsTheProduct() {
        const std::int64_t c = 40; // 8·5: a Hadamard block of 8, a ragged rotation tail of 4
        const auto t = everyStep(c, 3);
        const auto x = at::randn({16, c}, at::kDouble), w = at::randn({6, c}, at::kDouble);
        const auto folded = w * t.steps[0].vector.unsqueeze(0);
        QVERIFY(relError(at::matmul(x, w.t()), at::matmul(t.applyToActivation(x), t.applyToWeight(folded).t())) < 1e-12);
        for (std::size_t k = 1; k < t.steps.size(); ++k) {
            const auto& s = t.steps[k];
            QVERIFY2(relError(at::matmul(x, w.t()), at::matmul(s.applyToActivation(x), s.applyToWeight(w).t())) < 1e-12,
                     stepKindKey(s.kind));
            QVERIFY2(relError(x, s.applyToActivation(x)) > 1e-3, stepKindKey(s.kind)); // and each one acts
        }
        QCOMPARE(QString::fromStdString(t.describe()),
                 QStringLiteral("online smoothing divisor + 1 block rotation (block 12) + 1 permutation + global Householder + "
                                "1 Hadamard rotation"));
    }

    void hadamardBlocksArePowersOfTwoThatDivide() {
        QVERIFY_THROWS_EXCEPTION(UsageError, TransformStep::hadamard(40, 16));
        QVERIFY_THROWS_EXCEPTION(UsageError, TransformStep::hadamard(24, 12));
        const auto h = TransformStep::hadamard(24, 8);
        const auto eye = at::eye(24, at::kDouble);
        const auto m = h.applyToActivation(eye);
        QVERIFY(relError(eye, at::matmul(m, m.t())) < 1e-15);
        QVERIFY(at::allclose(m.narrow(0, 0, 8).narrow(1, 0, 8), normalizedHadamard(8)));
    }

    // Every kind, with a layout and a static quantizer, through the layer format and back, bit for bit.
    void serializerRoundTripsEveryKind() {
        auto& f = fixture();
        const auto& config = f.model->config();
        QuantizedLayer l;
        l.index = 1;
        l.weights = f.model->layer(1);
        for (Site site : kLinearInputs) {
            const auto c = l.weights.linear(consumersOf(site).front()).size(1);
            l.input(site) = everyStep(c, static_cast<std::uint64_t>(site) + 7);
            l.input(site).clusterSizes = at::tensor({c - 3, std::int64_t(3)}, at::kLong);
            l.input(site).staticActivation = {4, at::rand({c}) + 0.1, at::zeros({c})};
        }
        const auto back = deserializeLayer(serializeLayer(l), config, c10::Device(c10::kCPU), "round trip");
        for (Site site : kLinearInputs) expectEqualTransforms(l.input(site), back.input(site), siteKey(site));
        auto s = serializeLayer(l);
        s.meta["format_version"] = kLayerFormatVersion + 1;
        QVERIFY_THROWS_EXCEPTION(FormatError, deserializeLayer(s, config, c10::Device(c10::kCPU), "newer"));
        s = serializeLayer(l);
        s.meta["inputs"]["attn_in"]["steps"][0]["kind"] = "spin";
        QVERIFY_THROWS_EXCEPTION(FormatError, deserializeLayer(s, config, c10::Device(c10::kCPU), "unknown kind"));
    }

    // A format-1 export (tests/data/legacy-v1) loads as steps in the old fixed order: the GQA o_proj divisor,
    // R₁, the zigzag, R₂, then the Householder reflection.
    void formatOneLoadsAsSteps() {
        auto ex = openQuantizedExport(OL_TEST_DATA_DIR "/legacy-v1/export-ruquant", c10::Device(c10::kCPU));
        const auto l = ex.loadLayer(0);
        std::vector<StepKind> kinds;
        for (const auto& s : l.input(Site::AttnOutput).steps) kinds.push_back(s.kind);
        const std::vector<StepKind> expected = {StepKind::Scale, StepKind::BlockRotation, StepKind::Permute,
                                                StepKind::BlockRotation, StepKind::Householder};
        QVERIFY(kinds == expected);
        QCOMPARE(l.input(Site::AttnInput).steps.size(), std::size_t(4)); // smoothing folded upstream: no divisor
        auto rptq = openQuantizedExport(OL_TEST_DATA_DIR "/legacy-v1/export-rptq", c10::Device(c10::kCPU)).loadLayer(0);
        QCOMPARE(rptq.input(Site::AttnInput).steps.size(), std::size_t(1));
        QVERIFY(rptq.input(Site::AttnInput).steps[0].kind == StepKind::Permute);
        QCOMPARE(rptq.input(Site::AttnInput).staticActivation.bits, 4); // was static_quant.attn_in
        QCOMPARE(rptq.staticQuant[static_cast<int>(Site::Key)].bits, 4);
    }

    // The next method is a plugin plus steps: the Hadamard method above computes the FP function at 16 bits
    // (2e-5 relative on the logits, as the other methods), resumes bit-identically and its export reloads.
    void hadamardMethodRunsThroughThePipeline() {
        auto& f = fixture();
        HadamardMethod m;
        auto r16 = runQuantization(*f.model, f.data, f.act, m, options(16));
        QuantizedModel q16(f.bundle.checkpoint, c10::Device(c10::kCPU), r16.layers);
        const auto tokens = sampleTokens();
        QVERIFY(relError(f.model->logits(tokens), q16.logits(tokens)) < 2e-5);
        QVERIFY(r16.layers[0].input(Site::DownInput).find(StepKind::Hadamard));
        QCOMPARE(r16.layers[0].input(Site::DownInput).find(StepKind::Hadamard)->rotation.blockSize,
                 std::int64_t(4)); // 172 = 4·43

        QuantizationResult a, b;
        runAndResume(m, "hadamard", a, b);
        if (QTest::currentTestFailed()) return;
        QuantizedModel qa(f.bundle.checkpoint, c10::Device(c10::kCPU), a.layers),
            qb(f.bundle.checkpoint, c10::Device(c10::kCPU), b.layers);
        const auto logits = qa.logits(tokens);
        QVERIFY(at::equal(logits, qb.logits(tokens)));
        const auto dir = outDir("hadamard-export");
        ExportInfo info;
        info.manifest = a.manifest;
        writeQuantizedExport(dir, *f.bundle.checkpoint, a.layers, info);
        auto ex = openQuantizedExport(dir, c10::Device(c10::kCPU));
        QCOMPARE(ex.quantizationConfig["transforms"]["inputs"]["down_in"]["steps"][0].get<std::string>(),
                 std::string("hadamard"));
        const auto layers = ex.loadAllLayers();
        QuantizedModel qe(ex.checkpoint, c10::Device(c10::kCPU), layers);
        QVERIFY(at::equal(logits, qe.logits(tokens)));
    }
};

QTEST_GUILESS_MAIN(TestSiteTransform)
#include "tst_sitetransform.moc"
