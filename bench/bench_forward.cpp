// Forward throughput (tokens/s) in fp32 and bf16 for (a) the bundled model on
// its eval text and (b) one LLaMA-7B-shaped decoder layer with random weights
// on a 2048-token window. Prints a table; --json writes one object per row.
#include "benchutil.h"
#include "core/device.h"
#include "core/model/checkpoint.h"
#include "core/model/decoderlayer.h"
#include "core/model/layerweights.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/model/tokenizer.h"
#include "core/resources.h"

#include <ATen/ATen.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

using namespace ol;
using ol::bench::peakRssGb;

namespace {

template <typename F> double medianSeconds(int repeats, F&& f) {
    std::vector<double> t;
    for (int i = 0; i < repeats; ++i) {
        const auto s = std::chrono::steady_clock::now();
        f();
        t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - s).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

struct Row {
    std::string what, dtype;
    long tokens;
    double seconds, gb;
};

} // namespace

int main(int argc, char** argv) {
    ol::configureProcess(argv);
    bool json = false, bf16 = true;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--json") == 0)
            json = true;
        else if (std::strcmp(argv[i], "--no-bf16") == 0)
            bf16 = false; // bf16 on CPUs without it takes > 5 min
    }
    const int repeats = 3;
    configureThreads();
    std::vector<Row> rows;
    const c10::Device cpu(c10::kCPU);
    // Rows are printed as they finish: bf16 matrix products on CPUs without
    // native bf16 support are slow, and a partial table is still useful.
    std::printf("forward throughput on %s, median of %d (bundled) / 1 (7B layer)\n", describeDevice(cpu).c_str(), repeats);
    std::printf("%-38s %-5s %9s %10s %12s %14s\n", "what", "dtype", "tokens", "time (s)", "tokens/s", "peak RSS (GB)");
    auto print = [](const Row& row) {
        std::printf("%-38s %-5s %9ld %10.3f %12.0f %14.2f\n", row.what.c_str(), row.dtype.c_str(), row.tokens, row.seconds,
                    row.tokens / row.seconds, row.gb);
        std::fflush(stdout);
    };

    auto bundle = openModel({});
    const auto ids = tokenizeTextFile(*bundle.tokenizer, bundledEvalText());
    const long windows = static_cast<long>(ids.size()) / 256;
    auto tokens =
        at::from_blob(const_cast<std::int32_t*>(ids.data()), {windows * 256}, at::kInt).to(at::kLong).view({windows, 256});
    ModelConfig c;
    c.hiddenSize = 4096;
    c.intermediateSize = 11008;
    c.numLayers = 1;
    c.numHeads = 32;
    c.numKvHeads = 32;
    c.headDim = 128;
    c.vocabSize = 32000;
    c.maxPositions = 4096;
    // fp32 rows first: bf16 products are slow on CPUs without native bf16.
    double matmulRate = 0, layerRate = 0;
    for (auto dtype : {c10::kFloat, c10::kBFloat16}) {
        if (dtype == c10::kBFloat16 && !bf16) continue;
        const char* name = dtype == c10::kFloat ? "fp32" : "bf16";
        {
            LlamaModel model(bundle.checkpoint, cpu, dtype);
            const double s = medianSeconds(repeats, [&] {
                for (long b = 0; b < windows; b += 16) model.forward(tokens.narrow(0, b, std::min(16L, windows - b)));
            });
            rows.push_back({"stories260K, eval text (138 x 256)", name, windows * 256, s, peakRssGb()});
            print(rows.back());
        }
        at::NoGradGuard noGrad;
        at::manual_seed(0);
        auto r = [&](std::int64_t o, std::int64_t i) { return (at::randn({o, i}) / std::sqrt(double(i))).to(dtype); };
        LayerWeights w{at::ones({4096}).to(dtype), r(4096, 4096),  r(4096, 4096),  r(4096, 4096), r(4096, 4096),
                       at::ones({4096}).to(dtype), r(11008, 4096), r(11008, 4096), r(4096, 11008)};
        auto h = at::randn({1, 2048, 4096}).to(dtype);
        const double s = medianSeconds(1, [&] { decoderLayerForward(w, c, h, 0); });
        rows.push_back({"LLaMA-7B-shaped layer (1 x 2048)", name, 2048, s, peakRssGb()});
        print(rows.back());
        if (dtype == c10::kFloat) {
            // The layer's arithmetic: its seven products, and causal attention (q·kᵀ and p·v on the lower
            // triangle), against the rate of one of its own products measured now.
            const double T = 2048, H = 4096, I = 11008;
            const double layerFlops = 2 * T * (4 * H * H + 3 * H * I) + 2 * 2 * (T * T / 2) * H;
            const auto x = at::randn({2048, 4096});
            const double mm = medianSeconds(3, [&] { at::linear(x, w.wGate); });
            matmulRate = 2 * T * H * I / mm / 1e9;
            layerRate = layerFlops / s / 1e9;
        }
    }
    std::printf("\nfloat32 matrix product [2048 x 4096] x [4096 x 11008]: %.1f GFLOP/s; LLaMA-7B-shaped layer forward: "
                "%.1f GFLOP/s = %.0f%% of it\n",
                matmulRate, layerRate, 100 * layerRate / matmulRate);

    if (json)
        for (const auto& row : rows)
            std::printf("{\"what\": \"%s\", \"dtype\": \"%s\", \"tokens\": %ld, \"seconds\": %.6f, \"tokens_per_s\": %.1f, "
                        "\"peak_rss_gb\": %.3f}\n",
                        row.what.c_str(), row.dtype.c_str(), row.tokens, row.seconds, row.tokens / row.seconds, row.gb);
    return 0;
}
