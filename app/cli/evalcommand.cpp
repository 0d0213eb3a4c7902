// outlierlab-cli eval: perplexity of a model on a text file.
#include "commands.h"
#include "common.h"

#include "core/calib/calibrationdata.h"
#include "core/device.h"
#include "core/errors.h"
#include "core/eval/perplexity.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/model/tokenizer.h"
#include "core/progress.h"
#include "core/quant/quantexport.h"
#include "core/quant/quantizedmodel.h"
#include "core/resources.h"

#include <nlohmann/json.hpp>

namespace ol::cli {

int runEval(const Args& args) {
    Flags f("eval", "Perplexity on a text: the whole file tokenized once, non-overlapping windows of --seqlen "
                    "tokens, tail dropped,\nexp of the mean of per-window mean NLL.");
    addModelFlags(f);
    f.add("text", Flags::Kind::String, "text file to evaluate (default: the bundled stories-eval.txt)");
    f.add("seqlen", Flags::Kind::Int, "window length (default: min(2048, the model's max_position_embeddings))")
        .range(2, kMaxWindowTokens);
    f.add("nsamples", Flags::Kind::Int, "evaluate at most this many windows (default: all)", "-1").range(-1, INT32_MAX);
    f.add("batch_size", Flags::Kind::Int, "windows per forward", "4").range(1, 65536);
    addMemoryFlag(f);
    f.add("json", Flags::Kind::Switch, "print one JSON object on stdout");
    f.add("quiet", Flags::Kind::Switch, "no progress on stderr");
    if (!f.parse(args)) return kExitOk;

    const auto device = parseDevice(f.str("device"));
    const auto dtype = parseDtype(f.str("dtype"));
    // A quantized export evaluates with its online activation work; anything else is an FP model.
    const bool quantized = f.given("model") && isQuantizedExport(f.str("model"));
    QuantizedExport exported;
    ModelBundle bundle;
    if (quantized) {
        exported = openQuantizedExport(f.str("model"), device);
        const auto tok = f.given("tokenizer") ? f.str("tokenizer") : exported.checkpoint->tokenizerPath();
        if (tok.empty()) throw UsageError(f.str("model") + ": no tokenizer in the export; pass --tokenizer");
        bundle = {exported.checkpoint, loadTokenizer(tok)};
    } else {
        bundle = openModel(f.str("model"), f.str("tokenizer"));
    }
    const auto& config = bundle.checkpoint->config();
    const std::string textPath = f.given("text") ? f.str("text") : bundledEvalText();
    PerplexityOptions o;
    o.seqlen = f.given("seqlen") ? f.integer("seqlen") : defaultWindowTokens(config);
    o.maxWindows = windowLimit(f, "nsamples");
    o.batchSize = f.integer("batch_size");
    if (o.seqlen < 2) throw UsageError("--seqlen must be at least 2");
    if (o.seqlen > config.maxPositions)
        throw UsageError("--seqlen " + std::to_string(o.seqlen) + " exceeds the model's max_position_embeddings " +
                         std::to_string(config.maxPositions));
    if (o.batchSize < 1) throw UsageError("--batch_size must be at least 1");

    EvalJob job;
    job.seqlen = o.seqlen;
    job.batch = o.maxWindows > 0 ? std::min(o.batchSize, o.maxWindows) : o.batchSize;
    job.computeBytes = dtype == c10::kFloat ? 4 : 2;
    // Quantized exports always stream their layers; an FP model is resident only when small.
    job.resident = !quantized && LlamaModel::residentBytesOf(*bundle.checkpoint) <= LlamaModel::kResidentBytes;
    const auto estimate = estimateEval(config, ModelFootprint::of(*bundle.checkpoint), job);
    const auto budget = memoryBudget(f);
    requireMemory(estimate, budget,
                  "evaluate fewer windows at once (--batch_size), shorter ones (--seqlen), or on a GPU "
                  "(--device cuda); --max_memory sets another budget");

    StderrProgress progress("eval ", !f.on("quiet"));
    progress.report(0, "loading " + bundle.checkpoint->path() + " (" + config.summary() + ") on " + describeDevice(device));
    std::unique_ptr<CausalLm> model;
    if (quantized)
        model = std::make_unique<QuantizedModel>(bundle.checkpoint, device, exported.loadLayer, dtype);
    else
        model = std::make_unique<LlamaModel>(bundle.checkpoint, device, dtype);
    const auto tokens = tokenizeTextFile(*bundle.tokenizer, textPath);
    const auto r = evaluatePerplexity(*model, tokens, o, &progress);
    progress.finish("perplexity " + std::to_string(r.ppl));

    if (f.on("json")) {
        nlohmann::json j;
        j["ppl"] = r.ppl;
        j["mean_nll"] = r.meanNll;
        j["protocol"] = r.protocol();
        j["seqlen"] = r.seqlen;
        j["windows"] = r.windows;
        j["tokens"] = r.tokens;
        j["seconds"] = r.seconds;
        j["model"] = bundle.checkpoint->path();
        j["model_format"] = bundle.checkpoint->format();
        if (quantized) j["quantization_config"] = exported.quantizationConfig;
        j["text"] = textPath;
        j["device"] = device.str();
        j["dtype"] = f.str("dtype");
        j["memory"] = {{"estimate_bytes", estimate.peakBytes()},
                       {"stage", estimate.stage},
                       {"budget_bytes", budget.bytes},
                       {"budget", budget.source}};
        printJson(j.dump());
    } else {
        std::printf("perplexity %.6f  (%s)\n", r.ppl, r.protocol().c_str());
    }
    return kExitOk;
}

} // namespace ol::cli
