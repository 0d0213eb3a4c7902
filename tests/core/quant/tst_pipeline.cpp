// The quantization pipeline on the bundled model: exactness at 16 bits, the
// float64 invariance of every fold and transform on a real layer, resume bit
// for bit, and the errors for bad settings and bad weights.
#include "core/calib/calibrationdata.h"
#include "core/calib/calibrator.h"
#include "core/errors.h"
#include "core/io/h5file.h"
#include "core/model/checkpoint.h"
#include "core/model/decoderlayer.h"
#include "core/model/kvcache.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/model/overlaycheckpoint.h"
#include "core/model/tokenizer.h"
#include "core/progress.h"
#include "core/quant/layerquantizer.h"
#include "core/quant/methodregistry.h"
#include "core/quant/pipeline.h"
#include "core/quant/quantizedmodel.h"
#include "core/quant/runstore.h"
#include "core/resources.h"
#include "quanttestutil.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <filesystem>

using namespace ol;
using namespace ol::testutil;
namespace fs = std::filesystem;

namespace {

void expectEqualLayers(const QuantizedLayer& a, const QuantizedLayer& b) {
    for (const auto& m : linearModules()) QVERIFY2(at::equal(a.weights.linear(m), b.weights.linear(m)), m.c_str());
    QVERIFY(at::equal(a.weights.inputNorm, b.weights.inputNorm));
    QVERIFY(at::equal(a.weights.postNorm, b.weights.postNorm));
    for (Site s : kLinearInputs) testutil::expectEqualTransforms(a.input(s), b.input(s), siteKey(s));
}

} // namespace

class TestPipeline : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { at::manual_seed(0); }

    // With every bit width at 16 each method only folds and rotates: the model must compute the FP function.
    void sixteenBitsEqualsFp_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("params");
        QTest::addColumn<double>("tolerance");
        QTest::newRow("rtn") << "rtn"
                             << "{}" << 2e-5;
        QTest::newRow("smoothquant") << "smoothquant"
                                     << R"({"alpha": 0.6})" << 2e-5;
        QTest::newRow("duquant bs4") << "duquant"
                                     << R"({"block_size": 4, "max_rotation_step": 32})" << 2e-5;
        QTest::newRow("duquant ragged bs48") << "duquant"
                                             << R"({"block_size": 48, "max_rotation_step": 32, "permutation_times": 2})" << 2e-5;
        // The reference's factor comes from a float32 QR: orthogonal to float32 rounding only (measured 2.1e-5).
        QTest::newRow("duquant compat") << "duquant"
                                        << R"({"block_size": 8, "reference_compat": true})" << 5e-5;
    }
    void sixteenBitsEqualsFp() {
        QFETCH(QString, method);
        QFETCH(QString, params);
        QFETCH(double, tolerance);
        auto& f = fixture();
        auto m = MethodRegistry::instance().create(method.toStdString(), nlohmann::json::parse(params.toStdString()));
        auto r = runQuantization(*f.model, f.data, f.act, *m, options(16));
        QuantizedModel q(f.bundle.checkpoint, c10::Device(c10::kCPU), r.layers);
        const auto tokens = sampleTokens();
        const auto ref = f.model->logits(tokens), got = q.logits(tokens);
        const double rel = (ref - got).abs().max().item<double>() / ref.abs().max().item<double>();
        QVERIFY2(rel < tolerance, qPrintable(QString("max relative logit difference %1").arg(rel)));
        if (method == "duquant") QVERIFY(r.layers[0].input(Site::DownInput).find(StepKind::BlockRotation));
    }

    // A quantized model continued from its KV cache (which holds the quantized K/V) equals its full forward:
    // every quantizer works per token, so caching changes nothing but float rounding.
    void cachedForwardEqualsFull() {
        auto& f = fixture();
        auto m = MethodRegistry::instance().create("duquant", {{"block_size", 8}});
        auto o = options(4);
        o.settings.kvBits = 4;
        auto r = runQuantization(*f.model, f.data, f.act, *m, o);
        QuantizedModel q(f.bundle.checkpoint, c10::Device(c10::kCPU), r.layers);
        const auto tokens = sampleTokens();
        const auto full = q.logits(tokens);
        KvCache cache;
        auto parts = q.logitsCached(tokens.narrow(1, 0, 40), cache);
        for (std::int64_t t = 40; t < 48; ++t) parts = at::cat({parts, q.logitsCached(tokens.narrow(1, t, 1), cache)}, 1);
        const double d = (parts - full).abs().max().item<double>();
        QVERIFY2(d < 1e-3, qPrintable(QString("max logit difference %1").arg(d)));
    }

    // Every fold and transform of a real layer, applied to real activations in float64:
    // (x/s·M)(W·diag(s)·M)ᵀ must equal x·Wᵀ for every linear (1e-10 relative).
    void foldsAndTransformsExactInFloat64() {
        auto& f = fixture();
        const auto& config = f.model->config();
        const auto fp = f.model->layer(1).to(c10::Device(c10::kCPU), at::kDouble);
        auto m = MethodRegistry::instance().create("duquant", {{"block_size", 48}, {"max_rotation_step", 64}});
        QuantSettings s;
        s.wbits = s.abits = 16;
        LayerQuantizer q(*m, layerContext(1, s), fp);
        const auto input = layerInputs(1, at::kDouble);
        q.calibrate(input.mean(0, true));

        // FP activations of every linear input (float64 forward, unsmoothed weights).
        CaptureHook cap;
        decoderLayerForward(fp, config, input.narrow(0, 0, 2), 1, &cap);
        for (const auto& module : linearModules()) {
            const Site site = inputSiteOf(module);
            auto x = cap.x.at(site).reshape({-1, cap.x.at(site).size(-1)});
            const auto& t = q.layer().input(site);
            auto pair = site == Site::AttnInput    ? "qkv"
                        : site == Site::AttnOutput ? "out"
                        : site == Site::MlpInput   ? "fc1"
                                                   : "down";
            // The folded producer gives x/s; the online divisor (GQA o_proj) divides here instead.
            auto seen = t.find(StepKind::Scale) ? x : x / q.layer().smoothing.at(pair).to(at::kDouble);
            auto transformed = t.applyToActivation(seen);
            auto ref = at::matmul(x, fp.linear(module).t());
            // up_proj's rows carry the down pair's 1/s (that is how the down input gets smoothed).
            if (module == "mlp.up_proj") ref = ref / q.layer().smoothing.at("down").to(at::kDouble);
            const auto got = at::matmul(transformed, q.transformedWeight(module).to(at::kDouble).t());
            const double rel = (ref - got).abs().max().item<double>() / ref.abs().max().item<double>();
            QVERIFY2(rel < 1e-10, qPrintable(QString("%1: relative error %2").arg(module.c_str()).arg(rel)));
            QVERIFY(t.find(StepKind::BlockRotation));
        }
    }

    // A run cancelled after layer 2 and resumed equals an uninterrupted run bit for bit.
    void resumeIsBitIdentical_data() {
        QTest::addColumn<QString>("params");
        QTest::newRow("duquant") << R"({"block_size": 4, "max_rotation_step": 32})";
        QTest::newRow("duquant+lwc") << R"({"block_size": 4, "max_rotation_step": 8, "lwc": true, "epochs": 1})";
        // One random stream for the whole run: the resume replays the finished layers' draws.
        QTest::newRow("duquant reference_compat") << R"({"block_size": 4, "max_rotation_step": 32, "reference_compat": true})";
    }
    void resumeIsBitIdentical() {
        QFETCH(QString, params);
        auto& f = fixture();
        auto m = MethodRegistry::instance().create("duquant", nlohmann::json::parse(params.toStdString()));
        QuantizationResult a, b;
        runAndResume(*m, "resume", a, b);
        if (QTest::currentTestFailed()) return;
        for (std::size_t i = 0; i < a.layers.size(); ++i) expectEqualLayers(a.layers[i], b.layers[i]);
        QuantizedModel qa(f.bundle.checkpoint, c10::Device(c10::kCPU), a.layers);
        QuantizedModel qb(f.bundle.checkpoint, c10::Device(c10::kCPU), b.layers);
        const auto tokens = sampleTokens();
        QVERIFY(at::equal(qa.logits(tokens), qb.logits(tokens)));
    }

    void resumeRefusesOtherInputs() {
        auto& f = fixture();
        auto m = MethodRegistry::instance().create("rtn", {});
        auto o = options(4);
        o.saveDir = outDir("resume-other");
        runQuantization(*f.model, f.data, f.act, *m, o);
        // Without --resume an existing run is never overwritten.
        try {
            runQuantization(*f.model, f.data, f.act, *m, o);
            QFAIL("expected UsageError");
        } catch (const UsageError& e) {
            QVERIFY2(std::string(e.what()).find("`resume`") != std::string::npos, e.what());
        }
        o.resume = true;
        o.settings.wbits = 6;
        try {
            runQuantization(*f.model, f.data, f.act, *m, o);
            QFAIL("expected UsageError");
        } catch (const UsageError& e) {
            QVERIFY2(std::string(e.what()).find("settings differs") != std::string::npos, e.what());
        }
    }

    // Found by fuzz-runlayer: a layer file whose stored JSON is not JSON escaped as a raw nlohmann exception.
    void corruptLayerJsonNamesTheFile() {
        auto& f = fixture();
        auto m = MethodRegistry::instance().create("rtn", {});
        auto o = options(4);
        o.saveDir = outDir("corrupt-json");
        runQuantization(*f.model, f.data, f.act, *m, o);
        const auto store = RunStore::open(o.saveDir);
        const std::string path = store.layerPath(0);
        for (const std::string object : {"/report", "/meta"}) {
            {
                auto h5 = H5File::update(path);
                h5.writeString(object, object == "/report" ? R"({"layer": 0, "seconds": )" : "not json");
                h5.commit();
            }
            try {
                if (object == "/report")
                    (void)store.loadReport(0);
                else
                    (void)store.loadLayer(0, f.model->config(), c10::Device(c10::kCPU));
                QFAIL("expected FormatError");
            } catch (const FormatError& e) {
                const std::string what = e.what();
                QVERIFY2(what.find(path) != std::string::npos && what.find(object) != std::string::npos, e.what());
            }
        }
        // Valid JSON of the wrong shape is refused by name too.
        {
            auto h5 = H5File::update(path);
            h5.writeString("/report", R"({"layer": "zero"})");
            h5.commit();
        }
        try {
            (void)store.loadReport(0);
            QFAIL("expected FormatError");
        } catch (const FormatError& e) {
            QVERIFY2(std::string(e.what()).find("malformed layer report") != std::string::npos, e.what());
        }
    }

    void badSettings_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("params");
        QTest::addColumn<int>("abits");
        QTest::addColumn<int>("group");
        QTest::addColumn<QString>("expected");
        QTest::newRow("abits 0") << "rtn"
                                 << "{}" << 0 << 0 << "--abits 0";
        QTest::newRow("block > channels") << "duquant"
                                          << R"({"block_size": 128})" << 4 << 0 << "--block_size 128 is larger than the 64";
        QTest::newRow("group does not divide") << "rtn"
                                               << "{}" << 4 << 100 << "--group_size 100 does not divide";
    }
    void badSettings() {
        QFETCH(QString, method);
        QFETCH(QString, params);
        QFETCH(int, abits);
        QFETCH(int, group);
        QFETCH(QString, expected);
        auto& f = fixture();
        auto m = MethodRegistry::instance().create(method.toStdString(), nlohmann::json::parse(params.toStdString()));
        auto o = options(4);
        o.settings.abits = abits;
        o.settings.groupSize = group;
        o.saveDir = outDir("bad-settings");
        fs::remove_all(o.saveDir);
        try {
            runQuantization(*f.model, f.data, f.act, *m, o);
            QFAIL("expected UsageError");
        } catch (const UsageError& e) {
            const auto shown = renderParameters(e.what(), ParameterStyle::Flag); // as the CLI shows it
            QVERIFY2(shown.find(expected.toStdString()) != std::string::npos, shown.c_str());
        }
        QVERIFY(!fs::exists(o.saveDir)); // nothing written before the settings were checked
    }

    // LWC (§1.10) trains per-channel clipping on block-output MSE: the trained layer must be closer to
    // the FP layer on its training samples than the same layer with the initial factors (σ(4) clipping).
    void lwcReducesTheLayerError() {
        auto& f = fixture();
        const auto& config = f.model->config();
        const auto fp = f.model->layer(0);
        auto tokens = at::from_blob(const_cast<std::int32_t*>(f.data.tokens.data()), {8, 64}, at::kInt).to(at::kLong);
        const auto inputs = f.model->embed(tokens);
        const auto targets = decoderLayerForward(fp, config, inputs, 0, nullptr);
        QuantSettings s;
        s.wbits = 3;
        s.abits = 16;
        auto error = [&](int epochs) -> double {
            auto m = MethodRegistry::instance().create("duquant",
                                                       {{"block_size", 4}, {"lwc", true}, {"epochs", epochs}, {"lwc_lr", 5e-2}});
            LayerContext ctx;
            ctx.config = &config;
            ctx.settings = &s;
            ctx.actScales = f.act[0];
            ctx.sampleInputs = inputs;
            ctx.sampleTargets = targets;
            LayerQuantizer q(*m, ctx, fp);
            q.calibrate(inputs.mean(0, true));
            {
                at::AutoGradMode grad(true);
                m->train(ctx, q.layer(), q);
            }
            if (!q.layer().quantized.at("mlp.down_proj").lwcUp.defined()) return -1; // factors must be stored
            return at::mse_loss(q.forward(inputs), targets).item<double>();
        };
        const double untrained = error(0), trained = error(4);
        QVERIFY(untrained > 0 && trained > 0);
        QVERIFY2(trained < 0.9 * untrained, qPrintable(QString("MSE %1 after LWC vs %2 before").arg(trained).arg(untrained)));
    }

    void nanWeightNamesTheLayer() {
        auto& f = fixture();
        auto overlay = std::make_shared<OverlayCheckpoint>(f.bundle.checkpoint, "nan");
        auto w = f.bundle.checkpoint->tensor(names::linear(3, "mlp.up_proj")).clone();
        w[5][7] = NAN;
        overlay->replace(names::linear(3, "mlp.up_proj"), w);
        LlamaModel model(overlay, c10::Device(c10::kCPU));
        auto m = MethodRegistry::instance().create("rtn", {});
        try {
            runQuantization(model, f.data, f.act, *m, options(4));
            QFAIL("expected RuntimeFailure");
        } catch (const RuntimeFailure& e) {
            QVERIFY2(std::string(e.what()).find("layer 3") != std::string::npos, e.what());
            QVERIFY2(std::string(e.what()).find("up_proj") != std::string::npos, e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestPipeline)
#include "tst_pipeline.moc"
