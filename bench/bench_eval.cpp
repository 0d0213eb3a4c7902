// Evaluation throughput: documents per second of a 2-choice task (piqa) and of MMLU 5-shot, with and without
// context reuse, and generated tokens per second with and without the KV cache, on (a) the bundled model and
// (b) a LLaMA-7B-shaped stack of a few decoder layers with random F16 weights (hidden 4096, 32 heads, vocab 32000,
// streamed from its file as a 7B checkpoint is). Prints one table; --quick: the bundled model only;
// --layers N: layers of the 7B-shaped stack (default 2).
#include "benchutil.h"
#include "scalemodel.h"

#include "core/device.h"
#include "core/eval/loglikelihood.h"
#include "core/eval/mmlu.h"
#include "core/eval/requestencoding.h"
#include "core/eval/taskdocs.h"
#include "core/model/checkpoint.h"
#include "core/model/generation.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/model/tokenizer.h"
#include "core/resources.h"

#include <ATen/ATen.h>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using namespace ol;
namespace fs = std::filesystem;

void scalebench::checkInterrupt() {}

namespace {

struct Row {
    std::string model, workload, mode;
    double units, seconds;
    const char* unit;
};

void print(const Row& r) {
    std::printf("%-22s %-26s %-22s %10.2f %-8s %8.2f s\n", r.model.c_str(), r.workload.c_str(), r.mode.c_str(),
                r.units / r.seconds, r.unit, r.seconds);
    std::fflush(stdout);
}

void measure(const std::string& label, CausalLm& model, const Tokenizer& tok, std::int64_t context, int docs, int mmluLimit,
             int newTokens) {
    const std::string data = OL_TEST_DATA_DIR;
    // piqa's five test documents, repeated to `docs`.
    const auto piqa = loadTaskDocs("piqa", data + "/tasks/piqa.jsonl");
    std::vector<std::vector<EncodedRequest>> requests;
    for (int d = 0; d < docs; ++d) {
        const auto& doc = piqa[d % piqa.size()];
        std::vector<EncodedRequest> rs;
        for (std::size_t i = 0; i < doc.requests(); ++i)
            rs.push_back(encodeRequest(tok, doc.context(i), doc.continuation(i), HarnessCompat::None));
        requests.push_back(std::move(rs));
    }
    for (bool reuse : {true, false}) {
        ScoringOptions o;
        o.maxLength = context;
        o.contextReuse = reuse;
        const auto start = std::chrono::steady_clock::now();
        scoreRequests(model, requests, o);
        print({label, "piqa (2 choices)", reuse ? "context reuse" : "no reuse", static_cast<double>(docs), bench::seconds(start),
               "docs/s"});
    }
    MmluOptions m;
    m.shots = 5;
    m.limit = mmluLimit;
    const auto start = std::chrono::steady_clock::now();
    const auto r = evaluateMmlu(model, tok, context, data + "/mmlu/good", m);
    print({label, "MMLU 5-shot", "one prompt/forward", static_cast<double>(r.questions), bench::seconds(start), "docs/s"});
    for (bool cache : {true, false}) {
        GenerationOptions g;
        g.maxNewTokens = newTokens;
        g.contextLength = context;
        g.stopAtEos = false;
        g.useCache = cache;
        const auto out = generate(model, tok, tok.encode("Once upon a time, there was a little girl named Lily.", true), g);
        print({label, "generation", cache ? "KV cache" : "recompute", static_cast<double>(out.tokens.size()), out.seconds,
               "tok/s"});
    }
}

} // namespace

int main(int argc, char** argv) {
    ol::configureProcess(argv);
    bool quick = false;
    int layers = 2;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) quick = true;
        if (std::strcmp(argv[i], "--layers") == 0 && i + 1 < argc) layers = std::atoi(argv[++i]);
    }
    configureThreads();
    at::NoGradGuard noGrad;
    std::printf("%-22s %-26s %-22s %10s %-8s %10s\n", "model", "workload", "mode", "rate", "", "time");
    {
        auto bundle = openModel(bundledModelPath(), "");
        LlamaModel model(bundle.checkpoint, c10::Device(c10::kCPU));
        measure("stories260K", model, *bundle.tokenizer, bundle.checkpoint->config().maxPositions, 200, -1, 200);
    }
    if (quick) return 0;
    // A LLaMA-7B-shaped stack: the 7B shape with `layers` layers, written once into a temporary folder.
    auto shape = scalebench::kShapes.back();
    shape.name = "7b-" + std::to_string(layers) + "layers";
    shape.layers = layers;
    const auto dir = fs::temp_directory_path() / ("outlierlab-bench-eval-" + shape.name);
    if (!fs::exists(dir / "model.safetensors")) {
        fs::create_directories(dir);
        scalebench::writeConfig(dir, shape);
        scalebench::writeSafetensors(dir / "model.safetensors", shape, shape.name);
        scalebench::writeTokenizer(dir / "tokenizer.bin", static_cast<std::size_t>(shape.vocab));
    }
    auto bundle = openModel(dir.string(), "");
    LlamaModel model(bundle.checkpoint, c10::Device(c10::kCPU));
    measure("LLaMA-7B shape, " + std::to_string(layers) + " layers", model, *bundle.tokenizer, 2048, 16, 2, 16);
    std::printf("(the 7B-shaped model is %s, streamed; its weights are random, so only the rates mean anything)\n", dir.c_str());
    return 0;
}
