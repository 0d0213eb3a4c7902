// Preview latency: the workbench's live before/after preview of one method on
// one 4096-channel linear input of a LLaMA-7B-shaped layer, on a 256-token
// sample (issue 13: block 128, 256 rotation steps; first picture <= 250 ms for every method, DuQuant's
// full result <= 1 s). Each repetition recreates the method from changed parameters, as a form edit does,
// and computes the preview; median and 90th percentile of 20. "cold": nothing cached (the first preview
// of a site, or a change of block size); "after an edit": the workbench's PreviewCache kept across the
// repetitions while one parameter alternates between two values (only what it changes is recomputed).
#include "benchutil.h"
#include "core/device.h"
#include "core/model/layerweights.h"
#include "core/model/modelconfig.h"
#include "core/quant/layerpreview.h"
#include "core/quant/method.h"
#include "core/quant/methodregistry.h"
#include "core/quant/previewcache.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <thread>
#include <vector>

using namespace ol;

int main(int argc, char** argv) {
    ol::configureProcess(argv);
    const int reps = argc > 1 ? std::atoi(argv[1]) : 20;
    at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    ModelConfig c;
    c.hiddenSize = 4096, c.intermediateSize = 11008, c.numLayers = 1, c.numHeads = 32, c.numKvHeads = 32, c.headDim = 128;
    c.vocabSize = 32000, c.maxPositions = 4096;
    at::manual_seed(0);
    auto r = [](std::int64_t o, std::int64_t i) { return at::randn({o, i}) / std::sqrt(double(i)); };
    LayerWeights w{at::ones({4096}), r(4096, 4096),  r(4096, 4096),  r(4096, 4096), r(4096, 4096),
                   at::ones({4096}), r(11008, 4096), r(11008, 4096), r(4096, 11008)};
    // 256 tokens, ten normal-outlier channels x50 and one massive value, as calibration tiles look.
    auto x = at::randn({256, 4096});
    const auto outliers = at::arange(0, 4096, 410);
    x.index_put_({at::indexing::Slice(), outliers}, x.index({at::indexing::Slice(), outliers}) * 50);
    x.index_put_({3, 1234}, 2000.0);
    LayerActScales scales{x.abs().amax(0), at::rand({4096}) + 0.5, x.abs().amax(0), at::rand({11008}) + 0.5};
    // Once per layer (the workbench caches it with the layer's weights).
    auto t0 = std::chrono::steady_clock::now();
    const auto probe = previewProbe(w);
    const double probeMs = bench::seconds(t0) * 1000;

    struct Row {
        const char* label;
        const char* method;
        nlohmann::json params;
        const char* varied; // the parameter a form edit changes between repetitions
        Site site;
        std::int64_t maxRows;
        bool firstStage = false; // the workbench's first picture of a staged preview (prepare()'s part only)
    };
    const std::vector<Row> rows = {
        {"RTN", "rtn", nlohmann::json::object(), nullptr, Site::AttnInput, 256},
        {"SmoothQuant a=0.6", "smoothquant", {{"alpha", 0.6}}, "alpha", Site::AttnInput, 256},
        {"DuQuant bs128, 256 steps",
         "duquant",
         {{"block_size", 128}, {"max_rotation_step", 256}},
         "max_rotation_step",
         Site::AttnInput,
         256},
        {"DuQuant bs128, 256 steps, all weight rows",
         "duquant",
         {{"block_size", 128}, {"max_rotation_step", 256}},
         "max_rotation_step",
         Site::AttnInput,
         0},
        {"DuQuant bs128, 256 steps (gate/up input)",
         "duquant",
         {{"block_size", 128}, {"max_rotation_step", 256}},
         "max_rotation_step",
         Site::MlpInput,
         256},
        {"RUQuant bs128", "ruquant", {{"block_size", 128}}, "max_rotation_step", Site::AttnInput, 256},
        {"DuQuant first stage (smoothing)",
         "duquant",
         {{"block_size", 128}, {"max_rotation_step", 256}, {"alpha", 0.6}},
         "alpha",
         Site::AttnInput,
         256,
         true},
        {"RUQuant first stage (smoothing)",
         "ruquant",
         {{"block_size", 128}, {"alpha", 0.6}},
         "alpha",
         Site::AttnInput,
         256,
         true},
    };
    std::printf("Preview latency, LLaMA-7B-shaped layer, 256 x 4096 sample, W4A4, %d threads, %d repetitions\n",
                at::get_num_threads(), reps);
    std::printf("| method | site | weight rows | cold median (ms) | cold p90 (ms) | after an edit: median (ms) | p90 (ms) | "
                "varied | transform |\n|---|---|---|---|---|---|---|---|---|\n");
    auto percentile = [](std::vector<double> ms, double q) {
        std::sort(ms.begin(), ms.end());
        return ms[std::min(ms.size() - 1, static_cast<std::size_t>(double(ms.size()) * q))];
    };
    for (const auto& row : rows) {
        std::vector<double> cold, edited;
        std::string transform;
        std::int64_t weightRows = 0;
        PreviewCache kept; // the workbench's cache of this layer, across the edits
        for (int i = 0; i < 2 * reps; ++i) {
            const bool warm = i >= reps;
            auto params = row.params;
            if (row.varied) {
                // Alternate between two values as a user nudging a spin box would.
                auto v = params.value(row.varied, nlohmann::json(16));
                if (v.is_number_float())
                    params[row.varied] = v.get<double>() - 0.05 * (i % 2);
                else
                    params[row.varied] = v.get<int>() - (i % 2);
            }
            const auto t0 = std::chrono::steady_clock::now();
            auto method = MethodRegistry::instance().create(row.method, params);
            PreviewInput in;
            in.site = row.site;
            in.sample = x;
            in.config = &c;
            in.weights = &w;
            in.actScales = scales;
            in.maxWeightRows = row.maxRows;
            in.probe = &probe;
            in.firstStage = row.firstStage;
            in.cache = warm ? &kept : nullptr;
            const auto p = computeLayerPreview(*method, in);
            (warm ? edited : cold).push_back(bench::seconds(t0) * 1000);
            transform = p.transform;
            weightRows = p.weightRows;
        }
        // The first edit fills the cache: it is a cold preview, not counted.
        edited.erase(edited.begin());
        std::printf("| %s | %s | %lld | %.0f | %.0f | %.0f | %.0f | %s | %s |\n", row.label, siteKey(row.site),
                    static_cast<long long>(weightRows), percentile(cold, 0.5), percentile(cold, 0.9), percentile(edited, 0.5),
                    percentile(edited, 0.9), row.varied ? row.varied : "-", transform.c_str());
        std::fflush(stdout);
    }
    std::printf("probe (column absmax of the layer's 7 linears, once per layer): %.0f ms; peak RSS %.2f GB\n", probeMs,
                bench::peakRssGb());
    return 0;
}
