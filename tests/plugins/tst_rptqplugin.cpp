// The RPTQ plugin on the bundled model: metadata, model checks, every reorder
// leaving the FP function unchanged (pipeline, float32 logits) and exact in
// float64 on a real layer, clusters deterministic for a seed, the bit choices
// of --only_quant_kv and --reference_compat, and resume and export → reload
// giving the same model bit for bit.
#include "core/calib/calibrationdata.h"
#include "core/calib/calibrator.h"
#include "core/errors.h"
#include "core/model/decoderlayer.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/progress.h"
#include "core/quant/layerquantizer.h"
#include "core/quant/method.h"
#include "core/quant/methodinfo.h"
#include "core/quant/methodregistry.h"
#include "core/quant/pipeline.h"
#include "core/quant/quantexport.h"
#include "core/quant/quantizedmodel.h"
#include "core/quant/runstore.h"
#include "core/quant/sitetransform.h"
#include "core/resources.h"
#include "quanttestutil.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <filesystem>

using namespace ol;
using namespace ol::testutil;

namespace {

// One layer through prepare and the calibration forward, as the pipeline runs it.
std::unique_ptr<LayerQuantizer> quantizeLayer(const QuantMethod& m, const QuantSettings& s, int layer, at::ScalarType dtype,
                                              std::uint64_t seed = 2) {
    auto& f = fixture();
    auto ctx = layerContext(layer, s);
    ctx.seed = seed;
    ctx.sampleInputs = layerInputs(layer, dtype);
    auto q = std::make_unique<LayerQuantizer>(m, ctx, f.model->layer(layer).to(c10::Device(c10::kCPU), dtype));
    q->calibrate(ctx.sampleInputs.mean(0, true));
    return q;
}

// The order of a site's permutation step (the identity when it has none).
at::Tensor reorderOf(const SiteTransform& t, std::int64_t channels) {
    const auto* p = t.find(StepKind::Permute);
    return p ? p->vector : at::arange(channels, at::kLong);
}

bool isIdentityOrder(const at::Tensor& order) {
    return at::equal(order.reshape({-1, order.size(-1)}),
                     at::arange(order.size(-1), at::kLong).expand({order.numel() / order.size(-1), order.size(-1)}));
}

void expectEqualLayers(const QuantizedLayer& a, const QuantizedLayer& b) {
    for (const auto& m : linearModules()) QVERIFY2(at::equal(a.weights.linear(m), b.weights.linear(m)), m.c_str());
    for (Site s : kLinearInputs) testutil::expectEqualTransforms(a.input(s), b.input(s), siteKey(s));
    for (int k = 0; k < kSiteCount; ++k) {
        QCOMPARE(a.staticQuant[k].bits, b.staticQuant[k].bits);
        if (a.staticQuant[k].scale.defined()) {
            QVERIFY(at::equal(a.staticQuant[k].scale, b.staticQuant[k].scale));
            QVERIFY(at::equal(a.staticQuant[k].zero, b.staticQuant[k].zero));
        }
    }
    QVERIFY(at::equal(a.queryKeyOrder, b.queryKeyOrder));
}

} // namespace

class TestRptqPlugin : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { at::manual_seed(0); }

    void foundWithItsMetadata() {
        const auto names = MethodRegistry::instance().names();
        QVERIFY(std::find(names.begin(), names.end(), "rptq") != names.end());
        const auto& info = MethodRegistry::instance().info("rptq");
        QCOMPARE(info.title, std::string("RPTQ"));
        const auto p = info.resolve(nlohmann::json::object());
        QCOMPARE(p["num_clusters"].get<int>(), 32);
        QCOMPARE(p["head_clusters"].get<int>(), 4);
        QCOMPARE(p["kmeans_restarts"].get<int>(), 10);
        QCOMPARE(p["reorder"].get<std::string>(), std::string("12345"));
        for (const auto* b : {"only_quant_kv", "reference_compat"}) QVERIFY2(!p[b].get<bool>(), b);
        auto m = MethodRegistry::instance().create("rptq", {});
        QCOMPARE(m->name(), std::string("rptq"));
        QuantSettings s;
        QVERIFY(m->needsSampleInputs(s));
        QVERIFY(!m->needsTraining(s));
        QVERIFY(!m->rotatesQueryKey());
    }

    void badValuesRefused() {
        const auto& info = MethodRegistry::instance().info("rptq");
        expectUsageError([&] { info.resolve({{"num_clusters", 0}}); }, "--num_clusters 0 is below its minimum 1");
        expectUsageError([&] { info.resolve({{"reorder", "13"}}); }, "--reorder '13' is not one of");
        const auto& config = fixture().model->config();
        QuantSettings s;
        expectUsageError(
            [&] {
                MethodRegistry::instance().create("rptq", {{"num_clusters", 65}})->validate(config, s);
            },
            "--num_clusters 65 is larger than the 64 channels");
        expectUsageError(
            [&] {
                MethodRegistry::instance().create("rptq", {{"head_clusters", 9}})->validate(config, s);
            },
            "--head_clusters 9 is larger than this model's head_dim 8");
        s.groupSize = 16;
        expectUsageError([&] { MethodRegistry::instance().create("rptq", {})->validate(config, s); },
                         "--group_size 16 cannot be used with rptq");
        s.groupSize = 0;
        MethodRegistry::instance().create("rptq", {{"num_clusters", 64}, {"head_clusters", 8}})->validate(config, s); // fits
        // The pipeline checks before any work.
        auto& f = fixture();
        auto big = MethodRegistry::instance().create("rptq", {{"num_clusters", 100}});
        expectUsageError([&] { runQuantization(*f.model, f.data, f.act, *big, options(4)); }, "--num_clusters 100");
    }

    // With every bit width at 16 only the reorders act: the quantized model must compute the FP function
    // (float32 logits, 1e-5 of the largest logit; a wrong index gives differences of order 1).
    void reordersKeepTheFpFunction_data() {
        QTest::addColumn<QString>("reorder");
        for (const auto* r : {"1", "2", "3", "4", "5", "12345"}) QTest::newRow(r) << r;
    }
    void reordersKeepTheFpFunction() {
        QFETCH(QString, reorder);
        auto& f = fixture();
        auto m = MethodRegistry::instance().create("rptq", {{"reorder", reorder.toStdString()}});
        const auto r = runQuantization(*f.model, f.data, f.act, *m, options(16));
        // The reorder really moved channels in some layer.
        bool moved = false;
        for (const auto& l : r.layers) {
            const auto r = reorder.toStdString();
            if (r.find('1') != std::string::npos) moved |= !isIdentityOrder(reorderOf(l.input(Site::AttnInput), 64));
            if (r.find('4') != std::string::npos) moved |= !isIdentityOrder(reorderOf(l.input(Site::MlpInput), 64));
            if (r.find('2') != std::string::npos) moved |= !isIdentityOrder(l.queryKeyOrder);
            if (r.find('3') != std::string::npos) moved |= !at::equal(l.weights.wv, f.model->layer(l.index).wv);
            if (r.find('5') != std::string::npos) moved |= !at::equal(l.weights.wDown, f.model->layer(l.index).wDown);
        }
        QVERIFY(moved);
        QuantizedModel q(f.bundle.checkpoint, c10::Device(c10::kCPU), r.layers);
        const auto tokens = sampleTokens();
        const auto ref = f.model->logits(tokens), got = q.logits(tokens);
        const double rel = (ref - got).abs().max().item<double>() / ref.abs().max().item<double>();
        QVERIFY2(rel < 1e-5, qPrintable(QString("max relative logit difference %1").arg(rel)));
    }

    // In float64 on a real layer (layer 1, 8 real samples) all five reorders together: the layer output equals
    // the FP layer's to 1e-12 relative (only summation order changes).
    void reordersExactInFloat64() {
        auto& f = fixture();
        QuantSettings s;
        s.wbits = s.abits = 16;
        auto m = MethodRegistry::instance().create("rptq", {});
        auto q = quantizeLayer(*m, s, 1, at::kDouble);
        const auto& l = q->layer();
        QVERIFY(!isIdentityOrder(reorderOf(l.input(Site::AttnInput), 64)) &&
                !isIdentityOrder(reorderOf(l.input(Site::MlpInput), 64)));
        QVERIFY(!isIdentityOrder(l.queryKeyOrder));
        QVERIFY(!at::equal(l.weights.wv, f.model->layer(1).wv.to(at::kDouble)));
        QVERIFY(!at::equal(l.weights.wDown, f.model->layer(1).wDown.to(at::kDouble)));
        const auto input = layerInputs(1, at::kDouble);
        const auto ref =
            decoderLayerForward(f.model->layer(1).to(c10::Device(c10::kCPU), at::kDouble), f.model->config(), input, 1, nullptr);
        const auto got = q->forward(input);
        QCOMPARE(got.scalar_type(), at::kDouble);
        const double rel = (ref - got).abs().max().item<double>() / ref.abs().max().item<double>();
        QVERIFY2(rel < 1e-12, qPrintable(QString("relative error %1").arg(rel)));
    }

    // Same seed, same clusters and quantizers; the clusters are real k-means clusters (32 over 64 channels).
    void clustersDeterministicForASeed() {
        QuantSettings s;
        auto m = MethodRegistry::instance().create("rptq", {});
        auto a = quantizeLayer(*m, s, 2, at::kFloat, 2), b = quantizeLayer(*m, s, 2, at::kFloat, 2);
        expectEqualLayers(a->layer(), b->layer());
        const auto& sizes = a->layer().input(Site::AttnInput).clusterSizes;
        QCOMPARE(sizes.size(0), std::int64_t(32));
        QCOMPARE(sizes.sum().item<std::int64_t>(), std::int64_t(64));
        QVERIFY(sizes.min().item<std::int64_t>() >= 1 && sizes.max().item<std::int64_t>() > 1);
        QCOMPARE(a->layer().input(Site::AttnOutput).clusterSizes.size(0), std::int64_t(8 * 4)); // 4 per head, 8 heads
        QCOMPARE(a->layer().input(Site::DownInput).clusterSizes.sum().item<std::int64_t>(), std::int64_t(172));
        // A static quantizer is constant inside each cluster.
        const auto& sq = a->layer().input(Site::AttnInput).staticActivation;
        QCOMPARE(sq.bits, 4);
        std::int64_t start = 0;
        for (std::int64_t g = 0; g < sizes.size(0); ++g) {
            const auto n = sizes[g].item<std::int64_t>();
            QVERIFY(at::equal(sq.scale.narrow(0, start, n), sq.scale[start].expand({n})));
            start += n;
        }
        // Weights: one scale per (row, input cluster).
        QCOMPARE(a->layer().quantized.at("self_attn.q_proj").params.scale.size(1), std::int64_t(32));
        QVERIFY(at::equal(a->layer().quantized.at("mlp.down_proj").groupSizes, a->layer().input(Site::DownInput).clusterSizes));
    }

    // --only_quant_kv: only K and V quantized on the activation side; --reference_compat: RMSNorm outputs at 8 bits.
    void bitChoices() {
        QuantSettings s;
        auto kvOnly = quantizeLayer(*MethodRegistry::instance().create("rptq", {{"only_quant_kv", true}}), s, 0, at::kFloat);
        const auto& k = kvOnly->layer().staticQuant;
        for (Site site : kLinearInputs) QCOMPARE(kvOnly->layer().input(site).staticActivation.bits, 16);
        QCOMPARE(k[static_cast<int>(Site::Query)].bits, 16);
        QCOMPARE(k[static_cast<int>(Site::Key)].bits, 4);
        QCOMPARE(k[static_cast<int>(Site::Value)].bits, 4);
        QCOMPARE(kvOnly->layer().quantized.at("self_attn.o_proj").spec.bits, 4);
        auto compat = quantizeLayer(*MethodRegistry::instance().create("rptq", {{"reference_compat", true}}), s, 0, at::kFloat);
        const auto& c = compat->layer();
        QCOMPARE(c.input(Site::AttnInput).staticActivation.bits, 8);
        QCOMPARE(c.input(Site::MlpInput).staticActivation.bits, 8);
        QCOMPARE(c.input(Site::AttnOutput).staticActivation.bits, 4);
        QCOMPARE(c.input(Site::DownInput).staticActivation.bits, 4);
        QCOMPARE(c.staticQuant[static_cast<int>(Site::Query)].bits, 4);
    }

    // The live preview has one site's activation sample and no layer samples: prepare folds nothing and
    // transformFor returns that site's reorder as a permutation step with its clusters and static quantizer;
    // x·P against W·P keeps x·Wᵀ (float64, 1e-12).
    void previewShowsTheReorderOfOneSite() {
        auto& f = fixture();
        const auto& config = f.model->config();
        QuantSettings s;
        auto m = MethodRegistry::instance().create("rptq", {});
        LayerContext ctx;
        ctx.layer = 1;
        ctx.config = &config;
        ctx.settings = &s;
        ctx.actScales = f.act[1];
        QuantizedLayer layer;
        layer.weights = f.model->layer(1).to(c10::Device(c10::kCPU), at::kDouble);
        m->prepare(ctx, layer);
        QVERIFY(at::equal(layer.weights.wv, f.model->layer(1).wv.to(at::kDouble))); // nothing folded
        struct Capture : ActivationHook {
            std::map<Site, at::Tensor> x;
            at::Tensor onActivation(int, Site site, const at::Tensor& t) override {
                x[site] = t.reshape({-1, t.size(-1)});
                return t;
            }
        } cap;
        decoderLayerForward(layer.weights, config, layerInputs(1, at::kDouble), 1, &cap);
        for (Site site : kLinearInputs) {
            const auto t = m->transformFor(ctx, site, cap.x.at(site), {});
            QVERIFY2(t.steps.size() == 1 && t.steps[0].kind == StepKind::Permute, siteKey(site));
            QVERIFY2(t.clusterSizes.defined() && t.staticActivation.bits == 4, siteKey(site));
            const auto& w = layer.weights.linear(consumersOf(site).front());
            const auto ref = at::matmul(cap.x.at(site), w.t());
            const auto got = at::matmul(t.applyToActivation(cap.x.at(site)), t.applyToWeight(w).t());
            const double rel = (ref - got).abs().max().item<double>() / ref.abs().max().item<double>();
            QVERIFY2(rel < 1e-12, qPrintable(QString("%1: %2").arg(siteKey(site)).arg(rel)));
        }
    }

    // A run cancelled after layer 2 and resumed equals an uninterrupted one bit for bit; the export of it
    // reloads to the same layers and logits.
    void resumeAndExportAreBitIdentical() {
        auto& f = fixture();
        auto m = MethodRegistry::instance().create("rptq", {});
        QuantizationResult a, b;
        runAndResume(*m, "rptq", a, b);
        if (QTest::currentTestFailed()) return;
        for (std::size_t i = 0; i < a.layers.size(); ++i) expectEqualLayers(a.layers[i], b.layers[i]);

        QuantizedModel qa(f.bundle.checkpoint, c10::Device(c10::kCPU), a.layers);
        const auto tokens = sampleTokens();
        const auto logits = qa.logits(tokens);
        QuantizedModel qb(f.bundle.checkpoint, c10::Device(c10::kCPU), b.layers);
        QVERIFY(at::equal(logits, qb.logits(tokens)));

        const auto dir = outDir("rptq-export");
        ExportInfo info;
        info.manifest = a.manifest;
        writeQuantizedExport(dir, *f.bundle.checkpoint, a.layers, info);
        auto ex = openQuantizedExport(dir, c10::Device(c10::kCPU));
        const auto exLayers = ex.loadAllLayers();
        QCOMPARE(ex.quantizationConfig["activation_granularity"].get<std::string>(),
                 std::string("per_cluster_static_asymmetric"));
        QCOMPARE(ex.quantizationConfig["transforms"]["inputs"]["attn_in"]["clusters"].get<int>(), 32);
        for (std::size_t i = 0; i < a.layers.size(); ++i) expectEqualLayers(a.layers[i], exLayers[i]);
        QuantizedModel qe(ex.checkpoint, c10::Device(c10::kCPU), exLayers);
        QVERIFY(at::equal(logits, qe.logits(tokens)));
    }
};

QTEST_GUILESS_MAIN(TestRptqPlugin)
#include "tst_rptqplugin.moc"
