#pragma once
// Shared by the quantization tests on the bundled model (pipeline, RUQuant,
// RPTQ): the model with 8 calibration windows of 64 tokens and their
// act_scales, pipeline options, output folders, sample tokens, a progress
// that cancels at a layer, and a check for UsageError texts.
#include "core/calib/calibrationdata.h"
#include "core/calib/calibrator.h"
#include "core/errors.h"
#include "core/model/decoderlayer.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/progress.h"
#include "core/quant/method.h"
#include "core/quant/pipeline.h"
#include "core/quant/runstore.h"
#include "core/quant/sitetransform.h"
#include "core/resources.h"
#include "testutil.h"

#include <ATen/ATen.h>
#include <QtTest>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace ol::testutil {

struct Fixture {
    ModelBundle bundle;
    std::shared_ptr<LlamaModel> model;
    CalibrationData data;
    std::vector<LayerActScales> act;
};

// 8 windows of 64 tokens: small enough for fast tests, real activations.
inline Fixture& fixture() {
    static Fixture f = [] {
        Fixture x;
        x.bundle = openModel("");
        x.model = std::make_shared<LlamaModel>(x.bundle.checkpoint, c10::Device(c10::kCPU));
        CalibrationSettings s;
        s.textFiles = {bundledCalibText()};
        s.nsamples = 8;
        s.seqlen = 64;
        x.data = buildCalibrationData(*x.bundle.tokenizer, s);
        x.act = actScalesFromStatistics(runCalibration(*x.model, x.data, {}).sites, x.model->numLayers());
        return x;
    }();
    return f;
}

inline PipelineOptions options(int bits) {
    PipelineOptions o;
    o.settings.wbits = o.settings.abits = bits;
    return o;
}

// An empty folder under the test output directory.
inline std::string outDir(const std::string& name) {
    const auto p = std::filesystem::path(OL_TEST_OUTPUT_DIR) / name;
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p.parent_path());
    return p.string();
}

inline at::Tensor sampleTokens() { return at::randint(3, 500, {2, 48}, at::TensorOptions().dtype(at::kLong)); }

// Cancels the run when the pipeline announces a given layer.
class CancelAtLayer : public Progress {
public:
    explicit CancelAtLayer(int layer) : m_tag("layer " + std::to_string(layer + 1) + "/") {}
    void report(double, const std::string& m) override {
        if (m.find(m_tag) != std::string::npos) cancel();
    }

private:
    std::string m_tag;
};

// An uninterrupted W4A4 run of `m` into <name>-full, and one into <name>-killed cancelled when layer 3 starts
// (two layers stored), then resumed. The callers compare the two.
inline void runAndResume(const QuantMethod& m, const std::string& name, QuantizationResult& full, QuantizationResult& resumed) {
    auto& f = fixture();
    auto a = options(4);
    a.saveDir = outDir(name + "-full");
    full = runQuantization(*f.model, f.data, f.act, m, a);
    auto killed = options(4);
    killed.saveDir = outDir(name + "-killed");
    CancelAtLayer cancel(2);
    QVERIFY_THROWS_EXCEPTION(Cancelled, runQuantization(*f.model, f.data, f.act, m, killed, &cancel));
    // A method that polls the progress inside a layer stops in layer 3; one that never does, after it.
    const int stored = RunStore(killed.saveDir, runManifest(*f.model, f.data, m, killed), true).completedLayers();
    QVERIFY2(stored == 2 || (stored == 3 && name == "hadamard"), qPrintable(QString::number(stored)));
    killed.resume = true;
    resumed = runQuantization(*f.model, f.data, f.act, m, killed);
    QCOMPARE(resumed.resumedLayers, stored);
    QCOMPARE(resumed.layers.size(), full.layers.size());
}

// The fixture's 8 windows as the input of `layer` [8, 64, H]: the FP model's layers before it, in `dtype`.
inline at::Tensor layerInputs(int layer, at::ScalarType dtype) {
    auto& f = fixture();
    auto tokens = at::from_blob(const_cast<std::int32_t*>(f.data.tokens.data()), {8, 64}, at::kInt).to(at::kLong);
    auto x = f.model->embed(tokens).to(dtype);
    for (int i = 0; i < layer; ++i)
        x = decoderLayerForward(f.model->layer(i).to(c10::Device(c10::kCPU), dtype), f.model->config(), x, i, nullptr);
    return x;
}

// The context of one layer of the fixture's model, as the pipeline gives it (no samples).
inline LayerContext layerContext(int layer, const QuantSettings& settings) {
    auto& f = fixture();
    LayerContext ctx;
    ctx.layer = layer;
    ctx.config = &f.model->config();
    ctx.settings = &settings;
    ctx.actScales = f.act[layer];
    return ctx;
}

// Records the activation of every site a forward passes.
struct CaptureHook : ActivationHook {
    std::map<Site, at::Tensor> x;
    at::Tensor onActivation(int, Site site, const at::Tensor& t) override {
        x[site] = t;
        return t;
    }
};

// Two site transforms hold the same steps, layout and static quantizer, bit for bit.
inline void expectEqualTransforms(const SiteTransform& a, const SiteTransform& b, const char* what = "") {
    auto same = [](const at::Tensor& x, const at::Tensor& y) {
        return x.defined() == y.defined() && (!x.defined() || at::equal(x, y));
    };
    QCOMPARE(a.steps.size(), b.steps.size());
    for (std::size_t k = 0; k < a.steps.size(); ++k) {
        const auto &x = a.steps[k], &y = b.steps[k];
        QVERIFY2(x.kind == y.kind, what);
        QVERIFY2(same(x.vector, y.vector), what);
        QVERIFY2(same(x.rotation.main, y.rotation.main) && same(x.rotation.tail, y.rotation.tail), what);
        QCOMPARE(x.rotation.blockSize, y.rotation.blockSize);
    }
    QVERIFY2(same(a.clusterSizes, b.clusterSizes), what);
    QCOMPARE(a.staticActivation.bits, b.staticActivation.bits);
    QVERIFY2(same(a.staticActivation.scale, b.staticActivation.scale) && same(a.staticActivation.zero, b.staticActivation.zero),
             what);
}

} // namespace ol::testutil
