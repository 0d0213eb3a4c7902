// outlierlab-cli batch: runs the configurations of a recipe (docs/recipes.md)
// on one model with one calibration, and prints a comparison table (also as
// CSV and JSON).
#include "commands.h"
#include "common.h"
#include "methodflags.h"
#include "quantizeshared.h"

#include "device.h"
#include "errors.h"
#include "io/atomicfile.h"
#include "jobs/progress.h"
#include "jobs/quantizejob.h"
#include "model/checkpoint.h"
#include "resources.h"

#include <cstdio>
#include <fstream>
#include <set>

namespace ol::cli {

namespace {

nlohmann::json readRecipe(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw UsageError(path + ": cannot read the recipe");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw UsageError(path + ": not valid JSON: " + e.what());
    }
    if (!j.is_object() || !j.contains("runs") || !j["runs"].is_array() || j["runs"].empty())
        throw UsageError(path + ": a recipe is an object with a non-empty \"runs\" array (see docs/recipes.md)");
    static const std::set<std::string> top = {"model", "tokenizer", "calibration", "session", "eval_ppl", "eval_text",
                                              "device", "dtype", "defaults", "runs", "limit"};
    for (const auto& [k, v] : j.items())
        if (!top.count(k)) throw UsageError(path + ": unknown recipe key \"" + k + "\"");
    return j;
}

// Keys of a run that are not quantizer/method parameters.
const std::set<std::string>& jobKeys() {
    static const std::set<std::string> k = {"name", "method", "export", "save_dir", "resume", "rotation_seed"};
    return k;
}

QuantizeRequest requestFor(const nlohmann::json& recipe, const nlohmann::json& run, std::size_t index, bool bundled,
                           std::uint64_t seed, c10::Device device, std::string& name) {
    nlohmann::json values = recipe.value("defaults", nlohmann::json::object());
    for (const auto& [k, v] : run.items()) values[k] = v;
    QuantizeRequest r;
    r.method = values.value("method", "duquant");
    name = values.value("name", "run" + std::to_string(index + 1) + "-" + r.method);
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [k, v] : values.items())
        if (!jobKeys().count(k)) params[k] = v;
    try {
        r.pipeline.settings = quantSettingsFromJson(params);
        r.methodParams = methodParamsFromJson(params, r.method);
    } catch (const UsageError& e) {
        throw UsageError("run \"" + name + "\": " + e.what());
    }
    if (bundled && !params.contains("block_size") && r.methodParams.contains("block_size")) r.methodParams["block_size"] = 4;
    r.pipeline.seed = values.value("rotation_seed", seed);
    r.pipeline.saveDir = values.value("save_dir", "");
    r.pipeline.resume = values.value("resume", false);
    r.pipeline.devices = {device};
    r.exportDir = values.value("export", "");
    r.evalPpl = recipe.value("eval_ppl", true);
    r.evalText = recipe.value("eval_text", "");
    r.evalLimit = recipe.value("limit", -1);
    return r;
}

std::string fmt(const std::optional<double>& v, const char* f = "%.4f") {
    if (!v) return "-";
    char b[64];
    std::snprintf(b, sizeof b, f, *v);
    return b;
}

} // namespace

int runBatch(const Args& args) {
    Flags f("batch", "Runs every configuration of a recipe file (docs/recipes.md) with one calibration and prints a\n"
                     "comparison table: method, bits, FP and quantized perplexity, time.");
    f.allowPositional("RECIPE.json");
    f.add("csv", Flags::Kind::String, "also write the table as CSV to this file");
    f.add("json", Flags::Kind::Switch, "print every run's full result as one JSON object instead of the table");
    f.add("device", Flags::Kind::String, "cpu, cuda, cuda:N or auto (overrides the recipe)");
    f.add("quiet", Flags::Kind::Switch, "no progress on stderr");
    if (!f.parse(args)) return kExitOk;
    if (f.positional().size() != 1) throw UsageError("give one recipe file");
    const auto recipe = readRecipe(f.positional()[0]);

    // Everything is validated before the first (long) run starts.
    const bool bundled = !recipe.contains("model");
    const auto calib = recipe.value("calibration", nlohmann::json::object());
    CalibrationSettings cs;
    if (calib.contains("calib_dataset")) {
        const auto& d = calib["calib_dataset"];
        cs.textFiles = d.is_array() ? d.get<std::vector<std::string>>() : std::vector<std::string>{d.get<std::string>()};
    } else {
        cs.textFiles = {bundledCalibText()};
    }
    cs.nsamples = calib.value("nsamples", bundled ? 32 : 128);
    cs.seqlen = calib.value("seqlen", bundled ? 256 : -1);
    cs.seed = calib.value("seed", 2);
    cs.consecutive = calib.value("consecutive", false);
    const auto device = parseDevice(f.given("device") ? f.str("device") : recipe.value("device", "auto"));
    std::vector<std::pair<std::string, QuantizeRequest>> jobs;
    std::set<std::string> names;
    for (std::size_t i = 0; i < recipe["runs"].size(); ++i) {
        std::string name;
        auto req = requestFor(recipe, recipe["runs"][i], i, bundled, cs.seed, device, name);
        if (!names.insert(name).second) throw UsageError("two runs are named \"" + name + "\"");
        jobs.emplace_back(name, std::move(req));
    }

    const std::string model = recipe.value("model", "");
    if (cs.seqlen < 0) cs.seqlen = std::min<std::int64_t>(2048, openCheckpoint(model, recipe.value("tokenizer", ""))->config().maxPositions);
    StderrProgress progress("", !f.on("quiet"));
    auto source = prepareCalibration(model, recipe.value("tokenizer", ""), device, parseDtype(recipe.value("dtype", "float32")), cs,
                                     recipe.value("session", ""), &progress);
    nlohmann::json all = {{"recipe", f.positional()[0]}, {"runs", nlohmann::json::array()}};
    std::vector<std::pair<std::string, QuantizeOutcome>> done;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const auto& [name, req] = jobs[i];
        SubProgress sub(progress, double(i) / jobs.size(), double(i + 1) / jobs.size(),
                        "[" + std::to_string(i + 1) + "/" + std::to_string(jobs.size()) + " " + name + "] ");
        auto outcome = runQuantizeJob(source, req, &sub);
        auto j = outcome.toJson(source, req);
        j["name"] = name;
        all["runs"].push_back(j);
        done.emplace_back(name, std::move(outcome));
    }
    progress.finish("batch done");

    const std::string header = "name,method,bits,fp_ppl,quant_ppl,ratio,quantize_seconds";
    std::vector<std::string> rows;
    for (std::size_t i = 0; i < done.size(); ++i) {
        const auto& [name, o] = done[i];
        std::optional<double> ratio;
        if (o.fpPpl && o.quantPpl) ratio = *o.quantPpl / *o.fpPpl;
        rows.push_back(name + "," + jobs[i].second.method + "," + jobs[i].second.pipeline.settings.label() + "," +
                       fmt(o.fpPpl, "%.6f") + "," + fmt(o.quantPpl, "%.6f") + "," + fmt(ratio, "%.4f") + "," +
                       fmt(o.quantizeSeconds, "%.2f"));
    }
    if (f.given("csv")) {
        AtomicFile file(f.str("csv"));
        {
            std::ofstream out(file.tempPath());
            out << header << "\n";
            for (const auto& r : rows) out << r << "\n";
            if (!out.flush()) throw RuntimeFailure(f.str("csv") + ": write failed");
        }
        file.commit();
    }
    if (f.on("json")) {
        printJson(all.dump());
        return kExitOk;
    }
    std::printf("| run | method | bits | FP ppl | quantized ppl | ratio | quantize (s) |\n|---|---|---|---|---|---|---|\n");
    for (const auto& r : rows) {
        std::string line = "| ";
        for (char c : r) line += c == ',' ? std::string(" | ") : std::string(1, c);
        std::printf("%s |\n", line.c_str());
    }
    return kExitOk;
}

} // namespace ol::cli
