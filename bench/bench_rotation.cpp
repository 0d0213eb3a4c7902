// DuQuant's transform search (greedy rotation → zigzag → greedy rotation, algorithms.md §1.7) with the
// literal reference algorithm and with OutlierLab's fast search, on random normal activations with ten
// ×50 outlier channels (shared/data/README.md "Performance reference"). Prints one markdown table.
#include "benchutil.h"
#include "core/device.h"
#include "core/quant/blockrotation.h"
#include "core/quant/greedyrotation.h"
#include "core/quant/zigzag.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace ol;
using ol::bench::peakRssGb;
using ol::bench::resetPeakRss;
using ol::bench::seconds;

namespace {

using Greedy = GreedyRotationResult (*)(const at::Tensor&, const GreedyRotationOptions&);
GreedyRotationResult fastGreedy(const at::Tensor& x, const GreedyRotationOptions& o) { return greedyBlockRotation(x, o); }

// The steps taken by both searches, to compare the two versions.
struct Outcome {
    std::vector<std::int64_t> swaps;
    std::vector<int> best;
    bool operator==(const Outcome& o) const { return swaps == o.swaps && best == o.best; }
};

// calibrateDuQuantTransform's chain with permutation_times 1, for either greedy version.
Outcome pipeline(const at::Tensor& x, const GreedyRotationOptions& base, Greedy greedy) {
    Outcome out;
    auto o = base;
    auto g = greedy(x, o);
    auto a = g.rotation.apply(x);
    a = a.index_select(1, zigzagPermutation(a, o.blockSize));
    out.swaps = g.swaps;
    out.best.push_back(g.bestPrefix);
    o.seed += 2;
    g = greedy(a, o);
    out.swaps.insert(out.swaps.end(), g.swaps.begin(), g.swaps.end());
    out.best.push_back(g.bestPrefix);
    return out;
}

at::Tensor benchActivation(std::int64_t n, std::int64_t c) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
    auto x = at::randn({n, c}, gen, at::TensorOptions().dtype(at::kFloat));
    const auto cols = at::randperm(c, gen, at::TensorOptions().dtype(at::kLong)).narrow(0, 0, 10);
    for (std::int64_t i = 0; i < 10; ++i) x.select(1, cols[i].item<std::int64_t>()).mul_(50);
    return x;
}

// GFLOP/s of the product the reference repeats: [N·C/bs, bs] × [bs, bs] in float32.
double matmulGflops(std::int64_t n, std::int64_t c, std::int64_t bs) {
    const auto a = at::randn({n * c / bs, bs}), r = at::randn({bs, bs});
    auto out = at::empty_like(a);
    at::mm_out(out, a, r);
    const int reps = 20;
    const auto s = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) at::mm_out(out, a, r);
    return 2.0 * n * c * bs * reps / seconds(s) / 1e9;
}

} // namespace

int main(int, char** argv) {
    ol::configureProcess(argv);
    configureThreads();
    at::NoGradGuard noGrad;
    struct Case {
        std::int64_t n, c, bs;
        int repeats;
    };
    const std::vector<Case> cases = {{256, 64, 4, 3}, {256, 172, 4, 3}, {2048, 4096, 128, 1}, {2048, 11008, 128, 1}};
    std::string load;
    std::getline(std::ifstream("/proc/loadavg"), load);
    std::printf(
        "DuQuant transform search (greedy rotation -> zigzag -> greedy rotation, 256 steps each) on %s, load average %s\n",
        describeDevice(c10::Device(c10::kCPU)).c_str(), load.c_str());
    std::printf("plain float32 matmul [N*C/bs, bs] x [bs, bs] before: %.1f GFLOP/s (2048x4096, bs 128)\n",
                matmulGflops(2048, 4096, 128));
    std::printf("random normal activation, 10 channels x50; time = median of the repeats; nominal GFLOP/s = the "
                "reference's 2 x 256 products of 2*N*C*bs flops / time\n");
    std::printf(
        "(the fast version multiplies only the rows that can hold an extreme, so its nominal rate can exceed the matmul's)\n\n");
    std::printf(
        "| activation | block | version | repeats | time (s) | speed-up | peak RSS (GB) | nominal GFLOP/s | swaps identical |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|\n");
    std::fflush(stdout);
    for (const auto& k : cases) {
        const auto x = benchActivation(k.n, k.c);
        GreedyRotationOptions o;
        o.blockSize = k.bs;
        o.maxSteps = 256;
        o.referenceCompat = true; // as the reference timing
        const double flops = 2.0 * 256 * 2.0 * double(k.n) * k.c * k.bs;
        Outcome outcome[2];
        double time[2];
        const char* names[2] = {"straightforward", "fast"};
        const Greedy fns[2] = {greedyBlockRotationStraightforward, fastGreedy};
        for (int v = 0; v < 2; ++v) {
            resetPeakRss();
            std::vector<double> t;
            for (int r = 0; r < k.repeats; ++r) {
                const auto s = std::chrono::steady_clock::now();
                outcome[v] = pipeline(x, o, fns[v]);
                t.push_back(seconds(s));
            }
            std::sort(t.begin(), t.end());
            time[v] = t[t.size() / 2];
            std::printf("| %lldx%lld | %lld | %s | %d | %.3f | %s | %.2f | %.1f | %s |\n", (long long)k.n, (long long)k.c,
                        (long long)k.bs, names[v], k.repeats, time[v],
                        v ? (std::to_string(time[0] / time[1]).substr(0, 5) + "x").c_str() : "1x", peakRssGb(),
                        flops / time[v] / 1e9, v ? (outcome[0] == outcome[1] ? "yes" : "NO") : "-");
            std::fflush(stdout);
        }
    }
    std::printf(
        "\nplain float32 matmul [N*C/bs, bs] x [bs, bs] after: %.1f GFLOP/s (2048x4096, bs 128), %.1f GFLOP/s (256x172, bs 4)\n",
        matmulGflops(2048, 4096, 128), matmulGflops(256, 172, 4));
    return 0;
}
