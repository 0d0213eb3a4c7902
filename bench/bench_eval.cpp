// Evaluation throughput: documents per second of a 2-choice task (piqa), a 4-choice one (hellaswag) with context
// reuse on, off and auto, and of MMLU 5-shot, and generated tokens per second with and without the KV cache, on (a) the bundled
// model and (b) a LLaMA-7B-shaped stack of a few decoder layers with random F16 weights (hidden 4096, 32 heads, vocab 32000),
// held in memory and streamed from its file. Prints one table; --quick: the bundled model only;
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
    std::printf("%-28s %-26s %-20s %10.2f %-8s %8.2f s\n", r.model.c_str(), r.workload.c_str(), r.mode.c_str(),
                r.units / r.seconds, r.unit, r.seconds);
    std::fflush(stdout);
}

// `docs` documents of a task's test file (repeated), scored with reuse on, off and auto.
void measureTask(const std::string& label, CausalLm& model, const Tokenizer& tok, std::int64_t context, const std::string& task,
                 int docs) {
    const auto file = loadTaskDocs(task, std::string(OL_TEST_DATA_DIR) + "/tasks/" + task + ".jsonl");
    std::vector<std::vector<EncodedRequest>> requests;
    for (int d = 0; d < docs; ++d) {
        const auto& doc = file[static_cast<std::size_t>(d) % file.size()];
        std::vector<EncodedRequest> rs;
        for (std::size_t i = 0; i < doc.requests(); ++i)
            rs.push_back(encodeRequest(tok, doc.context(i), doc.continuation(i), HarnessCompat::None));
        requests.push_back(std::move(rs));
    }
    for (auto reuse : {ContextReuse::On, ContextReuse::Off, ContextReuse::Auto}) {
        ScoringOptions o;
        o.maxLength = context;
        o.contextReuse = reuse;
        const auto start = std::chrono::steady_clock::now();
        scoreRequests(model, requests, o);
        print({label, task + " (" + std::to_string(file.front().requests()) + " choices)",
               std::string("context reuse ") + contextReuseName(reuse), static_cast<double>(docs), bench::seconds(start),
               "docs/s"});
    }
}

void measureGeneration(const std::string& label, const std::string& mode, CausalLm& model, const Tokenizer& tok,
                       std::int64_t context, int newTokens, bool cache) {
    GenerationOptions g;
    g.maxNewTokens = newTokens;
    g.contextLength = context;
    g.stopAtEos = false;
    g.useCache = cache;
    const auto out = generate(model, tok, tok.encode("Once upon a time, there was a little girl named Lily.", true), g);
    print({label, "generation", mode + (cache ? "KV cache" : "recompute"), static_cast<double>(out.tokens.size()), out.seconds,
           "tok/s"});
}

void measure(const std::string& label, CausalLm& model, const Tokenizer& tok, std::int64_t context, int docs, int mmluLimit,
             int newTokens) {
    measureTask(label, model, tok, context, "piqa", docs);
    measureTask(label, model, tok, context, "hellaswag", docs / 2);
    MmluOptions m;
    m.shots = 5;
    m.limit = mmluLimit;
    const auto start = std::chrono::steady_clock::now();
    const auto r = evaluateMmlu(model, tok, context, std::string(OL_TEST_DATA_DIR) + "/mmlu/good", m);
    print({label, "MMLU 5-shot", "one prompt/forward", static_cast<double>(r.questions), bench::seconds(start), "docs/s"});
    for (bool cache : {true, false}) measureGeneration(label, "", model, tok, context, newTokens, cache);
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
    std::printf("%-28s %-26s %-20s %10s %-8s %10s\n", "model", "workload", "mode", "rate", "", "time");
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
    const auto label = "7B shape, " + std::to_string(layers) + " layers";
    {
        // Streamed from the F16 file, as a model larger than memory runs: every forward converts every weight.
        LlamaModel streamed(bundle.checkpoint, c10::Device(c10::kCPU), c10::kFloat, LlamaModel::Residency::Streamed);
        measure(label + ", streamed", streamed, *bundle.tokenizer, 2048, 16, 2, 8);
    }
    // Resident float32 weights, as on a GPU or a workstation that holds the model: compute-bound.
    LlamaModel resident(bundle.checkpoint, c10::Device(c10::kCPU), c10::kFloat, LlamaModel::Residency::Resident);
    measureTask(label + ", resident", resident, *bundle.tokenizer, 2048, "hellaswag", 8);
    for (bool cache : {true, false}) measureGeneration(label + ", resident", "", resident, *bundle.tokenizer, 2048, 16, cache);
    std::printf("(the 7B-shaped model is %s; its weights are random, so only the rates mean anything)\n", dir.c_str());
    return 0;
}
