// Quantization time per method (RTN, SmoothQuant, DuQuant, RUQuant, RPTQ):
// (a) the whole pipeline on the bundled model (32 x 256 calibration windows,
// W4A4, block 4, 256 steps) with its perplexity, and (b) one LLaMA-7B-shaped
// decoder layer (random weights, a 2048-token input with 10 outlier channels
// x 50; block 128). Prints a detail table per part as it goes, then one table
// with both; peak RSS is per row of (b).
#include "benchutil.h"
#include "core/calib/calibrationdata.h"
#include "core/calib/calibrator.h"
#include "core/device.h"
#include "core/eval/perplexity.h"
#include "core/model/checkpoint.h"
#include "core/model/decoderlayer.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/quant/layerquantizer.h"
#include "core/quant/methodregistry.h"
#include "core/quant/pipeline.h"
#include "core/quant/quantizedmodel.h"
#include "core/resources.h"

#include <ATen/ATen.h>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

using namespace ol;
using ol::bench::peakRssGb;

namespace {

struct Config {
    const char* label;
    const char* method;
    nlohmann::json params;    // bundled model
    nlohmann::json bigParams; // 7B-shaped layer; null: not run there
    double swc = 1, lac = 1;
};

struct Row {
    double small = -1, ppl = -1, big = -1, rss = -1;
};

// Records each linear input's max |x| per channel (the act_scales of a one-layer "calibration").
struct ScaleHook : ActivationHook {
    LayerActScales a;
    at::Tensor onActivation(int, Site s, const at::Tensor& x) override {
        if (!isLinearInput(s)) return x;
        auto m = std::get<0>(x.abs().reshape({-1, x.size(-1)}).max(0));
        (s == Site::AttnInput ? a.attnIn : s == Site::AttnOutput ? a.oIn : s == Site::MlpInput ? a.mlpIn : a.downIn) = m;
        return x;
    }
};

} // namespace

int main(int, char** argv) {
    ol::configureProcess(argv);
    configureThreads();
    at::NoGradGuard noGrad;
    const c10::Device cpu(c10::kCPU);
    std::printf("quantization time on %s\n\n", describeDevice(cpu).c_str());
    const auto none = nlohmann::json();
    const std::vector<Config> configs = {
        {"RTN", "rtn", nlohmann::json::object(), nlohmann::json::object()},
        {"SmoothQuant a=0.6", "smoothquant", {{"alpha", 0.6}}, {{"alpha", 0.6}}},
        {"DuQuant 256 steps (run.sh: bs4, lac 0.9, swc 0.8 / 7B: bs128)",
         "duquant",
         {{"block_size", 4}, {"reference_compat", true}},
         {{"block_size", 128}},
         0.8,
         0.9},
        {"DuQuant + LWC 2 epochs", "duquant", {{"block_size", 4}, {"lwc", true}, {"epochs", 2}}, none},
        {"RUQuant (bs4 / 7B: bs128)", "ruquant", {{"block_size", 4}}, {{"block_size", 128}}},
        {"RPTQ (32 clusters, 4 per head)", "rptq", nlohmann::json::object(), nlohmann::json::object()},
    };
    std::vector<Row> rows(configs.size());

    // (a) bundled model, the whole pipeline.
    auto bundle = openModel({});
    auto model = std::make_shared<LlamaModel>(bundle.checkpoint, cpu);
    CalibrationSettings cs;
    cs.textFiles = {bundledCalibText()};
    cs.nsamples = 32;
    cs.seqlen = 256;
    const auto data = buildCalibrationData(*bundle.tokenizer, cs);
    auto t0 = std::chrono::steady_clock::now();
    const auto act = actScalesFromStatistics(runCalibration(*model, data, {}).sites, model->numLayers());
    const double calib = bench::seconds(t0);
    const auto evalTokens = tokenizeTextFile(*bundle.tokenizer, bundledEvalText());
    PerplexityOptions po;
    po.seqlen = 256;
    std::printf("stories260K, W4A4, calibration 32 x 256 (%.2f s, shared by all rows), perplexity on stories-eval (138 x 256)\n",
                calib);
    std::printf("| method | prepare (s) | transforms (s) | weights (s) | training (s) | forward (s) | quantize total (s) | "
                "quantized eval (s) | ppl |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|\n");
    for (std::size_t i = 0; i < configs.size(); ++i) {
        const auto& c = configs[i];
        auto m = MethodRegistry::instance().create(c.method, c.params);
        PipelineOptions o;
        o.settings.swc = c.swc;
        o.settings.lac = c.lac;
        t0 = std::chrono::steady_clock::now();
        auto r = runQuantization(*model, data, act, *m, o);
        rows[i].small = bench::seconds(t0);
        StageSeconds s;
        for (const auto& rep : r.reports)
            s.prepare += rep.seconds.prepare, s.transform += rep.seconds.transform, s.weights += rep.seconds.weights,
                s.train += rep.seconds.train, s.forward += rep.seconds.forward;
        QuantizedModel q(bundle.checkpoint, cpu, r.layers);
        t0 = std::chrono::steady_clock::now();
        rows[i].ppl = evaluatePerplexity(q, evalTokens, po).ppl;
        std::printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.4f |\n", c.label, s.prepare, s.transform,
                    s.weights, s.train, s.forward, rows[i].small, bench::seconds(t0), rows[i].ppl);
        std::fflush(stdout);
    }

    // (b) one LLaMA-7B-shaped layer.
    ModelConfig c;
    c.hiddenSize = 4096, c.intermediateSize = 11008, c.numLayers = 1, c.numHeads = 32, c.numKvHeads = 32, c.headDim = 128;
    c.vocabSize = 32000, c.maxPositions = 4096;
    at::manual_seed(0);
    auto r = [&](std::int64_t o, std::int64_t i) { return at::randn({o, i}) / std::sqrt(double(i)); };
    LayerWeights w{at::ones({4096}), r(4096, 4096),  r(4096, 4096),  r(4096, 4096), r(4096, 4096),
                   at::ones({4096}), r(11008, 4096), r(11008, 4096), r(4096, 11008)};
    auto h = at::randn({1, 2048, 4096});
    h.index_put_({at::indexing::Slice(), at::indexing::Slice(), at::arange(0, 4096, 410)},
                 h.index({at::indexing::Slice(), at::indexing::Slice(), at::arange(0, 4096, 410)}) * 50);
    ScaleHook hook;
    decoderLayerForward(w, c, h, 0, &hook);
    std::printf("\nLLaMA-7B-shaped layer (4096/11008, 32 heads), 2048 tokens, W4A4, one layer\n");
    std::printf("| method | prepare (s) | transforms (s) | weights (s) | forward (s) | total (s) | peak RSS (GB) "
                "|\n|---|---|---|---|---|---|---|\n");
    for (std::size_t i = 0; i < configs.size(); ++i) {
        const auto& cfg = configs[i];
        if (cfg.bigParams.is_null()) continue;
        auto m = MethodRegistry::instance().create(cfg.method, cfg.bigParams);
        QuantSettings s;
        LayerContext ctx;
        ctx.config = &c;
        ctx.settings = &s;
        ctx.actScales = hook.a;
        if (m->needsSampleInputs(s)) ctx.sampleInputs = h; // RPTQ's statistics: the one 2048-token sample
        bench::resetPeakRss();
        t0 = std::chrono::steady_clock::now();
        LayerQuantizer q(*m, ctx, w);
        q.calibrate(h);
        rows[i].big = bench::seconds(t0);
        rows[i].rss = peakRssGb();
        const auto& sec = q.report().seconds;
        std::printf("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", cfg.label, sec.prepare, sec.transform, sec.weights,
                    sec.forward, rows[i].big, rows[i].rss);
        std::fflush(stdout);
    }

    std::printf("\nQuantization time per method, W4A4 (bundled: whole pipeline, 5 layers; 7B: one layer)\n");
    std::printf("| method | bundled model (s) | bundled W4A4 ppl | LLaMA-7B-shaped layer (s) | 7B peak RSS (GB) "
                "|\n|---|---|---|---|---|\n");
    for (std::size_t i = 0; i < configs.size(); ++i) {
        if (rows[i].big < 0)
            std::printf("| %s | %.2f | %.4f | — | — |\n", configs[i].label, rows[i].small, rows[i].ppl);
        else
            std::printf("| %s | %.2f | %.4f | %.2f | %.2f |\n", configs[i].label, rows[i].small, rows[i].ppl, rows[i].big,
                        rows[i].rss);
    }
    return 0;
}
