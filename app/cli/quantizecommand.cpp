// outlierlab-cli quantize: the whole pipeline from the reference projects'
// flags: calibrate (or reuse a session), quantize layer by layer with a
// method plugin, evaluate FP and quantized perplexity, export.
#include "benchmarkflags.h"
#include "commands.h"
#include "common.h"
#include "methodflags.h"
#include "quantizeshared.h"
#include "taskflags.h"

#include "core/device.h"
#include "core/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/progress.h"
#include "core/quant/methodsupport.h"
#include "core/resources.h"
#include "core/workflow/quantizejob.h"

#include <filesystem>

#include <cstdio>
#include <nlohmann/json.hpp>

namespace ol::cli {

int runQuantize(const Args& args) {
    Flags f("quantize", "Quantizes a model layer by layer with a method plugin (rtn, smoothquant, duquant, ...):\n"
                        "calibration windows (or a matching --session), transforms per decoder layer, fake-quantized and\n"
                        "packed integer weights; optional perplexity (same --seqlen as calibration, as the reference),\n"
                        "per-layer checkpoints with --save_dir (--resume continues a killed run), and --export.");
    addModelFlags(f);
    f.add("method", Flags::Kind::String, "quantization method (plugin name)", "duquant");
    addCalibrationFlags(f);
    addQuantFlags(f);
    f.add("rotation_seed", Flags::Kind::Int, "seed of the random rotations (default: --seed)").range(0, INT64_MAX);
    f.add("session", Flags::Kind::String, "HDF5 calibration session to reuse (checked against model and windows) or to write");
    f.add("save_dir", Flags::Kind::String, "checkpoint directory: run.json and one file per finished layer");
    f.add("resume", Flags::Kind::Switch,
          "continue the run in --save_dir (or the one kept next to --session) after its last finished layer");
    f.add("eval_ppl", Flags::Kind::Switch, "evaluate FP and quantized perplexity");
    f.add("eval_text", Flags::Kind::String, "text for --eval_ppl (default: the bundled stories-eval.txt)");
    f.add("limit", Flags::Kind::Int, "evaluate at most this many windows (-1: all)", "-1").range(-1, INT32_MAX);
    addTaskFlags(f);
    addMmluFlags(f);
    f.add("export", Flags::Kind::String, "write the quantized model as a Hugging Face-style directory");
    f.add("multigpu", Flags::Kind::Switch, "spread the decoder layers over every visible CUDA device");
    addMemoryFlag(f);
    f.add("json", Flags::Kind::Switch, "print one JSON object with settings, perplexities, per-layer errors and times");
    f.add("quiet", Flags::Kind::Switch, "no progress on stderr");
    if (!f.parse(args)) return kExitOk;

    QuantizeRequest req;
    req.method = f.str("method");
    const bool bundled = !f.given("model");
    req.methodParams = methodParamsFromFlags(f, req.method);
    req.pipeline.settings = quantSettingsFromFlags(f);
    req.pipeline.seed = static_cast<std::uint64_t>(f.integer(f.given("rotation_seed") ? "rotation_seed" : "seed"));
    req.pipeline.saveDir = f.str("save_dir");
    req.pipeline.resume = f.on("resume");
    if (req.pipeline.resume && req.pipeline.saveDir.empty() && !f.given("session"))
        throw UsageError("--resume needs --save_dir (the directory of the run to continue) or the --session it was made with");
    req.evalPpl = f.on("eval_ppl");
    req.evalText = f.str("eval_text");
    req.evalLimit = windowLimit(f, "limit");
    req.exportDir = f.str("export");
    req.tasks = tasksFromFlags(f, req.taskOptions);
    if (!mmluFromFlags(f, req.mmluOptions, req.mmluDataDir)) req.mmluDataDir.clear();

    const auto device = parseDevice(f.str("device"));
    req.pipeline.devices = devicesFor(device, f.on("multigpu"));
    StderrProgress progress("", !f.on("quiet"));
    auto settings = calibrationSettingsFromFlags(f, bundled);
    req.memory = memoryBudget(f);
    req.pipeline.spill = spillPolicy(f, req.memory);
    {
        // Checked before calibrating: a job that cannot fit is refused before any work or file.
        const auto ck = openCheckpoint(f.str("model").empty() ? bundledModelPath() : f.str("model"), f.str("tokenizer"));
        fitCalibrationToModel(settings, ck->config());
        if (!f.given("block_size") && req.methodParams.contains("block_size"))
            req.methodParams["block_size"] = defaultBlockSize(ck->config());
        const bool calibrate = !(f.given("session") && std::filesystem::exists(f.str("session")));
        requireMemory(estimateQuantizeJob(*ck, settings, req, calibrate), req.memory, kQuantizeMemoryAdvice);
    }
    auto source = prepareSource(f, settings, device, &progress, req.pipeline.spill);
    const auto outcome = runQuantizeJob(source, req, &progress);
    progress.finish("done");
    const auto j = outcome.toJson(source, req);
    if (outcome.quantMmlu && f.given("mmlu_csv"))
        writeTextFile(f.str("mmlu_csv"), mmluComparisonCsv(*outcome.fpMmlu, *outcome.quantMmlu));
    if (f.on("json"))
        printJson(j.dump());
    else
        printQuantizeSummary(j);
    return kExitOk;
}

} // namespace ol::cli
