// outlierlab-cli eval: perplexity of a model on a text file, and zero-shot tasks.
#include "benchmarkflags.h"
#include "commands.h"
#include "common.h"
#include "evalmodel.h"
#include "taskflags.h"

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
                    "tokens, tail dropped,\nexp of the mean of per-window mean NLL. With --tasks, zero-shot accuracy "
                    "as lm-evaluation-harness v0.4 computes it.");
    addModelFlags(f);
    f.add("text", Flags::Kind::String, "text file to evaluate (default: the bundled stories-eval.txt)");
    f.add("seqlen", Flags::Kind::Int, "window length (default: min(2048, the model's max_position_embeddings))")
        .range(2, kMaxWindowTokens);
    f.add("nsamples", Flags::Kind::Int, "evaluate at most this many windows (default: all)", "-1").range(-1, INT32_MAX);
    f.add("batch_size", Flags::Kind::Int, "windows per forward", "4").range(1, 65536);
    f.add("no_ppl", Flags::Kind::Switch, "skip the perplexity (evaluate only --tasks, --eval_mmlu, --eval_mtbench)");
    addTaskFlags(f);
    addMmluFlags(f);
    addMtBenchFlags(f);
    addMemoryFlag(f);
    f.add("json", Flags::Kind::Switch, "print one JSON object on stdout");
    f.add("quiet", Flags::Kind::Switch, "no progress on stderr");
    if (!f.parse(args)) return kExitOk;

    const auto device = parseDevice(f.str("device"));
    const auto dtype = parseDtype(f.str("dtype"));
    // A quantized export evaluates with its online activation work; anything else is an FP model.
    auto opened = openEvalModelFiles(f, device);
    const bool quantized = opened.quantized;
    const auto& bundle = opened.bundle;
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
    TaskOptions taskOptions;
    const auto tasks = tasksFromFlags(f, taskOptions);
    taskOptions.scoring.maxLength = config.maxPositions;
    MmluOptions mmluOptions;
    std::string mmluDir;
    const bool mmlu = mmluFromFlags(f, mmluOptions, mmluDir);
    MtBenchOptions mtOptions;
    std::string mtQuestions, mtAnswers;
    const bool mtbench = mtBenchFromFlags(f, f.str("model"), mtOptions, mtQuestions, mtAnswers);
    mtOptions.contextLength = config.maxPositions;
    const auto questions = mtbench ? loadMtBenchQuestions(mtQuestions) : std::vector<MtBenchQuestion>{};
    const bool ppl = !f.on("no_ppl");
    if (!ppl && tasks.empty() && !mmlu && !mtbench)
        throw UsageError("--no_ppl leaves nothing to evaluate: give --tasks, --eval_mmlu or --eval_mtbench");

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
    loadEvalModel(opened, device, dtype);
    auto& model = opened.model;
    PerplexityResult r;
    if (ppl) {
        const auto tokens = tokenizeTextFile(*bundle.tokenizer, textPath);
        r = evaluatePerplexity(*model, tokens, o, &progress);
    }
    TaskResults taskResults;
    if (!tasks.empty()) taskResults = evaluateTasks(*model, *bundle.tokenizer, tasks, taskOptions, &progress);
    MmluResult mmluResult;
    if (mmlu) mmluResult = evaluateMmlu(*model, *bundle.tokenizer, config.maxPositions, mmluDir, mmluOptions, &progress);
    MtBenchSummary mt;
    if (mtbench) mt = writeMtBenchAnswers(*model, *bundle.tokenizer, questions, mtOptions, mtAnswers, &progress);
    if (mmlu && f.given("mmlu_csv")) writeTextFile(f.str("mmlu_csv"), mmluResult.csv());
    progress.finish(ppl ? "perplexity " + std::to_string(r.ppl) : "done");

    if (f.on("json")) {
        nlohmann::json j;
        j["model"] = bundle.checkpoint->path();
        j["model_format"] = bundle.checkpoint->format();
        if (quantized) j["quantization_config"] = opened.quantizationConfig;
        j["device"] = device.str();
        j["dtype"] = f.str("dtype");
        j["memory"] = {{"estimate_bytes", estimate.peakBytes()},
                       {"stage", estimate.stage},
                       {"budget_bytes", budget.bytes},
                       {"budget", budget.source}};
        if (ppl) {
            j["ppl"] = r.ppl;
            j["mean_nll"] = r.meanNll;
            j["protocol"] = r.protocol();
            j["seqlen"] = r.seqlen;
            j["windows"] = r.windows;
            j["tokens"] = r.tokens;
            j["seconds"] = r.seconds;
            j["text"] = textPath;
        }
        if (!tasks.empty()) {
            j["tasks"] = taskResults.json();
            j["harness_compat"] = harnessCompatName(taskOptions.compat);
            j["context_reuse"] = contextReuseName(taskOptions.scoring.contextReuse);
        }
        if (mmlu) j["mmlu"] = mmluJson(mmluResult);
        if (mtbench)
            j["mtbench"] = {{"answers", mtAnswers},
                            {"model_id", mtOptions.modelId},
                            {"questions", mt.questions},
                            {"turns", mt.turns},
                            {"tokens", mt.tokens},
                            {"seconds", mt.seconds},
                            {"chat_template", mtOptions.chatTemplate.name},
                            {"chat_template_source", mtOptions.chatTemplate.source},
                            {"judge", "not run: judging needs an external judge model (FastChat gen_judgment.py)"}};
        printJson(j.dump());
        return kExitOk;
    }
    if (ppl) std::printf("perplexity %.6f  (%s)\n", r.ppl, r.protocol().c_str());
    if (!tasks.empty()) std::fputs(taskResults.table().c_str(), stdout);
    if (mmlu) std::printf("\n%s", mmluResult.table().c_str());
    if (mtbench)
        std::printf("\nMT-Bench answers: %s (%lld questions, %lld turns, %lld tokens, chat template %s: %s); judging needs an "
                    "external judge model (FastChat gen_judgment.py)\n",
                    mtAnswers.c_str(), static_cast<long long>(mt.questions), static_cast<long long>(mt.turns),
                    static_cast<long long>(mt.tokens), mtOptions.chatTemplate.name.c_str(),
                    mtOptions.chatTemplate.source.c_str());
    return kExitOk;
}

} // namespace ol::cli
