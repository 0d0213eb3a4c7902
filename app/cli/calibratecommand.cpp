// outlierlab-cli calibrate: activation statistics of every layer into an HDF5 session.
#include "commands.h"
#include "common.h"
#include "quantizeshared.h"

#include "core/calib/calibrationdata.h"
#include "core/calib/calibrator.h"
#include "core/calib/session.h"
#include "core/device.h"
#include "core/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/model/modelloader.h"
#include "core/model/tokenizer.h"
#include "core/progress.h"
#include "core/resources.h"

#include <nlohmann/json.hpp>
#include <sstream>

namespace ol::cli {

int runCalibrate(const Args& args) {
    Flags f("calibrate", "Runs calibration windows through the model and stores per-layer, per-site activation\n"
                         "statistics (channel absmax/min/max/mean, act_scales/act_shifts, per-token maxima, kurtosis,\n"
                         "histogram, top values, a token x channel tile) in an HDF5 session file.");
    addModelFlags(f);
    f.add("calib_dataset", Flags::Kind::String,
          "calibration text file(s), comma-separated or repeated (default: the bundled stories-calib.txt)");
    f.add("nsamples", Flags::Kind::Int, "number of calibration windows (default 128; 32 for the bundled model)")
        .range(1, kMaxCalibrationWindows);
    f.add("seqlen", Flags::Kind::Int, "tokens per window (default min(2048, max_position_embeddings); 256 for the bundled model)")
        .range(2, kMaxWindowTokens);
    f.add("seed", Flags::Kind::Int, "seed of the window starts (Python random.seed/randint as the reference)", "2")
        .range(0, INT64_MAX);
    f.add("consecutive", Flags::Kind::Switch, "take consecutive windows from the start instead of random starts");
    f.add("batch_size", Flags::Kind::Int, "windows per forward", "4").range(1, 65536);
    f.add("tile_tokens", Flags::Kind::Int, "tokens of the first window kept as actual values (heatmap)", "256")
        .range(1, kMaxWindowTokens);
    f.add("top_k", Flags::Kind::Int, "largest |values| kept per site with their positions", "256").range(1, 1 << 20);
    f.add("out", Flags::Kind::String, "session file to write (.h5)");
    addMemoryFlag(f);
    addSpillFlags(f);
    f.add("json", Flags::Kind::Switch, "print a JSON summary on stdout");
    f.add("quiet", Flags::Kind::Switch, "no progress on stderr");
    if (!f.parse(args)) return kExitOk;
    if (!f.given("out")) throw UsageError("--out session.h5 is required");

    const bool bundled = !f.given("model");
    auto s = calibrationSettingsFromFlags(f, bundled);
    CalibrationOptions o;
    o.batchSize = f.integer("batch_size");
    o.accumulator.tileTokens = f.integer("tile_tokens");
    o.accumulator.topK = f.integer("top_k");
    if (o.batchSize < 1 || o.accumulator.tileTokens < 1 || o.accumulator.topK < 1)
        throw UsageError("--batch_size, --tile_tokens and --top_k must be at least 1");

    const auto device = parseDevice(f.str("device"));
    const auto dtype = parseDtype(f.str("dtype"));
    auto bundle = openModel(f.str("model"), f.str("tokenizer"));
    const auto& config = bundle.checkpoint->config();
    fitCalibrationToModel(s, config);
    const auto budget = memoryBudget(f);
    o.spill = spillPolicy(f, budget);
    const auto estimate = estimateCalibration(config, ModelFootprint::of(*bundle.checkpoint), s.nsamples, s.seqlen, o.batchSize,
                                              o.spill.mode == SpillMode::Always  ? 0
                                              : o.spill.mode == SpillMode::Never ? -1
                                                                                 : o.spill.budgetBytes);
    requireMemory(estimate, budget,
                  "use fewer --nsamples or a shorter --seqlen, --spill always, or --device cuda; "
                  "--max_memory sets another budget");
    StderrProgress progress("calibrate ", !f.on("quiet"));
    const auto data = buildCalibrationData(*bundle.tokenizer, s);
    progress.report(0, std::to_string(s.nsamples) + " windows of " + std::to_string(s.seqlen) + " tokens from a " +
                           std::to_string(data.textTokens) + "-token text; " + config.summary() + " on " +
                           describeDevice(device));
    LlamaModel model(bundle.checkpoint, device, dtype, LlamaModel::Residency::Streamed);
    const auto result = runCalibration(model, data, o, &progress);
    writeSession(f.str("out"), makeSessionInfo(*bundle.checkpoint, data, result.seconds), result.sites);
    progress.finish("wrote " + f.str("out"));

    if (f.on("json")) {
        nlohmann::json j;
        j["session"] = f.str("out");
        j["model"] = bundle.checkpoint->path();
        j["fingerprint"] = bundle.checkpoint->fingerprint();
        j["nsamples"] = s.nsamples;
        j["seqlen"] = s.seqlen;
        j["seed"] = s.seed;
        j["text_tokens"] = data.textTokens;
        j["window_starts"] = data.starts;
        j["sites"] = result.sites.size();
        j["seconds"] = result.seconds;
        printJson(j.dump());
    }
    return kExitOk;
}

} // namespace ol::cli
