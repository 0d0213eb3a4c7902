// outlierlab-cli batch: runs the configurations of a recipe (docs/recipes.md)
// on one model with one calibration, and prints a comparison table (also as
// CSV and JSON).
#include "commands.h"
#include "common.h"
#include "methodflags.h"
#include "quantizeshared.h"
#include "recipe.h"

#include "core/device.h"
#include "core/errors.h"
#include "core/io/atomicfile.h"
#include "core/model/checkpoint.h"
#include "core/progress.h"
#include "core/quant/methodsupport.h"
#include "core/resources.h"
#include "core/workflow/quantizejob.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace ol::cli {

namespace {

namespace fs = std::filesystem;

// What the runs write, checked before the first one starts: two runs writing one directory, an export
// that exists, a save_dir holding a run without resume (or none with it) would fail only after the
// runs before them finished.
void checkOutputs(const std::string& file, const std::vector<std::pair<std::string, QuantizeRequest>>& jobs) {
    std::map<std::string, std::string> owner; // normalized directory -> "run \"name\" export"
    auto claim = [&](const std::string& dir, const std::string& what) {
        if (dir.empty()) return;
        auto normal = fs::absolute(dir).lexically_normal();
        if (normal.filename().empty()) normal = normal.parent_path(); // "out/" is "out"
        const auto key = normal.string();
        auto [it, fresh] = owner.emplace(key, what);
        if (!fresh) throw UsageError(file + ": " + it->second + " and " + what + " are both " + dir + "; give each run its own");
    };
    std::error_code ec;
    for (const auto& [name, r] : jobs) {
        const std::string run = "run \"" + name + "\"";
        claim(r.exportDir, run + " export");
        claim(r.pipeline.saveDir, run + " save_dir");
        if (!r.exportDir.empty() && fs::exists(r.exportDir, ec) &&
            !(fs::is_directory(r.exportDir, ec) && fs::is_empty(r.exportDir, ec)))
            throw UsageError(file + ": " + run + " export " + r.exportDir + " already exists and is not an empty directory");
        if (r.pipeline.saveDir.empty()) continue;
        const bool hasRun = fs::exists(fs::path(r.pipeline.saveDir) / "run.json", ec);
        if (hasRun && !r.pipeline.resume)
            throw UsageError(
                file + ": " + run + " save_dir " + r.pipeline.saveDir +
                " already holds a quantization run; set \"resume\": true to continue it or choose another directory");
        if (!hasRun && r.pipeline.resume)
            throw UsageError(file + ": " + run + " resume: " + r.pipeline.saveDir + " holds no run to continue (no run.json)");
    }
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
    addMemoryFlag(f);
    addSpillFlags(f);
    f.add("quiet", Flags::Kind::Switch, "no progress on stderr");
    if (!f.parse(args)) return kExitOk;
    if (f.positional().size() != 1) throw UsageError("give one recipe file");
    const std::string file = f.positional()[0];
    const auto recipe = readRecipe(file);

    // Everything is validated before the first (long) run starts.
    const bool bundled = !recipe.contains("model");
    const RecipeObject top(recipe, file);
    const auto calibJson = recipe.value("calibration", nlohmann::json::object());
    const RecipeObject calib(calibJson, file, "calibration.");
    calib.onlyKeys({"calib_dataset", "nsamples", "seqlen", "seed", "consecutive"});
    auto cs = defaultCalibrationSettings(bundled);
    if (calib.has("calib_dataset")) cs.textFiles = calib.strings("calib_dataset");
    cs.nsamples = calib.integer("nsamples", cs.nsamples, 1, kMaxCalibrationWindows);
    if (calib.has("seqlen")) cs.seqlen = calib.integer("seqlen", cs.seqlen, 2, kMaxWindowTokens); // else settled below
    cs.seed = static_cast<std::uint64_t>(calib.integer("seed", 2, 0, INT64_MAX));
    cs.consecutive = calib.boolean("consecutive", false);
    const std::string model = top.string("model", ""), tokenizer = top.string("tokenizer", "");
    const std::string session = top.string("session", "");
    c10::ScalarType dtype;
    try {
        dtype = parseDtype(top.string("dtype", "float32"));
    } catch (const UsageError& e) {
        throw UsageError(file + ": dtype: " + e.what());
    }
    const auto device = parseDevice(f.given("device") ? f.str("device") : top.string("device", "auto"));
    std::vector<std::pair<std::string, QuantizeRequest>> jobs;
    const auto checkpoint = openCheckpoint(model.empty() ? bundledModelPath() : model, tokenizer);
    std::set<std::string> names;
    for (std::size_t i = 0; i < recipe["runs"].size(); ++i) {
        std::string name;
        auto req =
            recipeRequest(file, recipe, recipe["runs"][i], i, defaultBlockSize(checkpoint->config()), cs.seed, device, name);
        if (!names.insert(name).second) throw UsageError(file + ": two runs are named \"" + name + "\"");
        jobs.emplace_back(name, std::move(req));
    }
    checkOutputs(file, jobs);

    fitCalibrationToModel(cs, checkpoint->config());
    // Every run is checked before the calibration starts: none is refused half way through the batch.
    const auto budget = memoryBudget(f);
    const auto spill = spillPolicy(f, budget);
    const bool calibrate = session.empty() || !std::filesystem::exists(session);
    for (auto& [name, req] : jobs) {
        req.memory = budget;
        req.pipeline.spill = spill;
        try {
            requireMemory(estimateQuantizeJob(*checkpoint, cs, req, calibrate), budget, kQuantizeMemoryAdvice);
        } catch (const UsageError& e) {
            throw UsageError(file + ": run \"" + name + "\": " + e.what());
        }
    }
    StderrProgress progress("", !f.on("quiet"));
    auto source = prepareCalibration(model, tokenizer, device, dtype, cs, session, &progress, spill);
    nlohmann::json all = {{"recipe", file}, {"runs", nlohmann::json::array()}};
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

    std::string header = "name,method,bits,fp_ppl,quant_ppl,ratio,quantize_seconds";
    // Task columns: each metric of each task, FP and quantized (every run evaluates the same tasks).
    std::vector<std::pair<std::string, std::string>> taskColumns;
    if (!done.empty() && done.front().second.quantTasks)
        for (const auto& t : done.front().second.quantTasks->tasks)
            for (const auto& m : t.metrics) {
                taskColumns.emplace_back(t.task, m.name);
                header += "," + t.task + "_" + m.name + "_fp," + t.task + "_" + m.name;
            }
    const bool mmluColumn = !done.empty() && done.front().second.quantMmlu.has_value();
    if (mmluColumn) header += ",mmlu_fp,mmlu";
    auto taskValue = [](const std::optional<TaskResults>& r, const std::string& task, const std::string& metric) {
        std::optional<double> v;
        if (r)
            for (const auto& t : r->tasks)
                if (t.task == task && t.metric(metric)) v = t.metric(metric)->value;
        return v;
    };
    std::vector<std::string> rows;
    for (std::size_t i = 0; i < done.size(); ++i) {
        const auto& [name, o] = done[i];
        std::optional<double> ratio;
        if (o.fpPpl && o.quantPpl) ratio = *o.quantPpl / *o.fpPpl;
        std::string row = name + "," + jobs[i].second.method + "," + jobs[i].second.pipeline.settings.label() + "," +
                          fmt(o.fpPpl, "%.6f") + "," + fmt(o.quantPpl, "%.6f") + "," + fmt(ratio, "%.4f") + "," +
                          fmt(o.quantizeSeconds, "%.2f");
        for (const auto& [task, metric] : taskColumns)
            row += "," + fmt(taskValue(o.fpTasks, task, metric)) + "," + fmt(taskValue(o.quantTasks, task, metric));
        if (mmluColumn) {
            auto micro = [](const std::optional<MmluResult>& m) {
                return m ? std::optional<double>(m->microAccuracy) : std::optional<double>();
            };
            row += "," + fmt(micro(o.fpMmlu)) + "," + fmt(micro(o.quantMmlu));
        }
        rows.push_back(row);
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
    std::string titles = "| run | method | bits | FP ppl | quantized ppl | ratio | quantize (s) |",
                rule = "|---|---|---|---|---|---|---|";
    for (const auto& [task, metric] : taskColumns) {
        titles += " " + task + " " + metric + " FP | " + task + " " + metric + " |";
        rule += "---|---|";
    }
    if (mmluColumn) {
        titles += " MMLU FP | MMLU |";
        rule += "---|---|";
    }
    std::printf("%s\n%s\n", titles.c_str(), rule.c_str());
    for (const auto& r : rows) {
        std::string line = "| ";
        for (char c : r) line += c == ',' ? std::string(" | ") : std::string(1, c);
        std::printf("%s |\n", line.c_str());
    }
    return kExitOk;
}

} // namespace ol::cli
