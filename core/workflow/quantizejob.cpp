#include "core/workflow/quantizejob.h"

#include "core/calib/calibrator.h"
#include "core/calib/session.h"
#include "core/errors.h"
#include "core/eval/perplexity.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/model/tokenizer.h"
#include "core/progress.h"
#include "core/quant/method.h"
#include "core/quant/methodregistry.h"
#include "core/quant/quantexport.h"
#include "core/quant/quantizedmodel.h"
#include "core/quant/runstore.h"
#include "core/resources.h"

#include <ATen/ATen.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <unistd.h>

namespace ol {

namespace {

double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A run store for a job that asked for none: <tmp>/outlierlab-run-<pid>-<n>, removed with its contents.
class TemporaryRunDir {
public:
    TemporaryRunDir() {
        static std::atomic<int> counter{0};
        namespace fs = std::filesystem;
        const auto tmp = fs::temp_directory_path();
        removeOrphans(tmp);
        m_path = (tmp / ("outlierlab-run-" + std::to_string(::getpid()) + "-" + std::to_string(counter++))).string();
        fs::remove_all(m_path);
    }
    ~TemporaryRunDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    TemporaryRunDir(const TemporaryRunDir&) = delete;
    TemporaryRunDir& operator=(const TemporaryRunDir&) = delete;
    const std::string& path() const { return m_path; }

private:
    // Stores of killed processes (outlierlab-run-<pid>-<n> of a pid no longer running).
    static void removeOrphans(const std::filesystem::path& tmp) {
        std::error_code ec;
        const std::string prefix = "outlierlab-run-";
        for (const auto& e : std::filesystem::directory_iterator(tmp, ec)) {
            const auto name = e.path().filename().string();
            if (name.rfind(prefix, 0) != 0) continue;
            const auto pidText = name.substr(prefix.size(), name.find('-', prefix.size()) - prefix.size());
            if (pidText.empty() || pidText.size() > 9 || pidText.find_first_not_of("0123456789") != std::string::npos) continue;
            const auto pid = static_cast<pid_t>(std::stol(pidText));
            if (pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) std::filesystem::remove_all(e.path(), ec);
        }
    }

    std::string m_path;
};

} // namespace

CalibrationSource prepareCalibration(const std::string& modelPath, const std::string& tokenizerPath, c10::Device device,
                                     c10::ScalarType dtype, const CalibrationSettings& settings, const std::string& sessionPath,
                                     Progress* progress, SpillPolicy spill) {
    const auto t0 = std::chrono::steady_clock::now();
    CalibrationSource s;
    s.bundle = openModel(modelPath, tokenizerPath);
    s.model = std::make_shared<LlamaModel>(s.bundle.checkpoint, device, dtype, LlamaModel::Residency::Streamed);
    s.data = buildCalibrationData(*s.bundle.tokenizer, settings);
    s.sessionPath = sessionPath;
    const int L = s.model->numLayers();
    if (!sessionPath.empty() && std::filesystem::exists(sessionPath)) {
        SessionReader reader(sessionPath);
        const auto& info = reader.info();
        if (info.model.fingerprint != s.bundle.checkpoint->fingerprint())
            throw UsageError("session " + sessionPath + " was calibrated on another model (" + info.model.path +
                             "); pass another `session` or delete it");
        if (info.calibrationFingerprint != s.data.fingerprint)
            throw UsageError("session " + sessionPath + " was calibrated on other windows (" +
                             std::to_string(info.calibration.nsamples) + " x " + std::to_string(info.calibration.seqlen) +
                             ", seed " + std::to_string(info.calibration.seed) +
                             "); pass matching `nsamples`/`seqlen`/`seed`/`calib_dataset` or another `session`");
        std::vector<SiteStatistics> stats;
        for (const auto& [layer, site] : reader.sites())
            if (isLinearInput(site)) stats.push_back(reader.statistics(layer, site));
        s.actScales = actScalesFromStatistics(stats, L);
        s.reusedSession = true;
        if (progress) progress->report(0, "reusing the calibration in " + sessionPath);
    } else {
        NullProgress silent;
        SubProgress sub(progress ? *progress : silent, 0, 1, "calibrate: ");
        CalibrationOptions options;
        options.spill = spillWithin(std::move(spill), MemoryBudget::available());
        // Without a session to write, each layer's statistics are reduced to its act_scales at once.
        options.gatherStatistics = !sessionPath.empty();
        std::vector<SiteStatistics> scales;
        const auto r =
            runCalibration(*s.model, s.data, options, progress ? &sub : nullptr, [&](const std::vector<SiteStatistics>& layer) {
                if (options.gatherStatistics) return;
                for (const auto& site : layer) {
                    if (!isLinearInput(site.site)) continue;
                    SiteStatistics kept;
                    kept.layer = site.layer;
                    kept.site = site.site;
                    kept.actScales = site.actScales;
                    scales.push_back(std::move(kept));
                }
            });
        s.actScales = actScalesFromStatistics(options.gatherStatistics ? r.sites : scales, L);
        if (!sessionPath.empty()) writeSession(sessionPath, makeSessionInfo(*s.bundle.checkpoint, s.data, r.seconds), r.sites);
    }
    s.seconds = since(t0);
    return s;
}

SpillPolicy spillWithin(SpillPolicy policy, const MemoryBudget& budget) {
    if (policy.mode == SpillMode::Auto && policy.budgetBytes <= 0) policy.budgetBytes = budget.bytes / 4;
    return policy;
}

namespace {
MemoryBudget budgetOf(const QuantizeRequest& req) { return req.memory.bytes > 0 ? req.memory : MemoryBudget::available(); }
} // namespace

const char* const kQuantizeMemoryAdvice =
    "use fewer calibration windows (`nsamples`) or shorter ones (`seqlen`), reuse a `session` that holds this "
    "calibration, or run on a GPU (`device` cuda); `max_memory` sets another budget";

MemoryEstimate estimateQuantizeJob(const Checkpoint& ck, const CalibrationSettings& calibration, const QuantizeRequest& req,
                                   bool calibrate) {
    const auto method = MethodRegistry::instance().create(req.method, req.methodParams);
    QuantizeJob job;
    job.nsamples = calibration.nsamples;
    job.seqlen = calibration.seqlen > 0 ? calibration.seqlen : std::min<std::int64_t>(2048, ck.config().maxPositions);
    job.calibrate = calibrate;
    job.training = method->needsTraining(req.pipeline.settings);
    job.sampleInputs = job.training || method->needsSampleInputs(req.pipeline.settings);
    job.transforms = method->transformsWeights();
    job.evalPpl = req.evalPpl;
    job.evalBatch = req.evalLimit > 0 ? std::min<std::int64_t>(4, req.evalLimit) : 4;
    const auto spill = spillWithin(req.pipeline.spill, budgetOf(req));
    job.spillAbove = spill.mode == SpillMode::Always ? 0 : spill.mode == SpillMode::Never ? -1 : spill.budgetBytes;
    return estimateQuantize(ck.config(), ModelFootprint::of(ck), job);
}

QuantizeOutcome runQuantizeJob(const CalibrationSource& source, const QuantizeRequest& req, Progress* progress,
                               const std::function<void(const LayerReport&)>& onLayer) {
    QuantizeOutcome out;
    const auto& registry = MethodRegistry::instance();
    auto method = registry.create(req.method, req.methodParams);
    const auto& config = source.model->config();
    req.pipeline.settings.validate(config);
    method->validate(config, req.pipeline.settings);
    {
        const auto estimate = estimateQuantizeJob(*source.bundle.checkpoint, source.data.settings, req, false);
        const auto budget = budgetOf(req);
        requireMemory(estimate, budget, kQuantizeMemoryAdvice);
        out.memory = {{"estimate_bytes", estimate.peakBytes()},
                      {"stage", estimate.stage},
                      {"budget_bytes", budget.bytes},
                      {"budget", budget.source}};
    }
    if (!req.exportDir.empty() && std::filesystem::exists(req.exportDir) && !std::filesystem::is_directory(req.exportDir))
        throw UsageError("`export` " + req.exportDir + " exists and is not a directory");

    PipelineOptions pipeline = req.pipeline;
    pipeline.spill = spillWithin(pipeline.spill, budgetOf(req));
    if (pipeline.saveDir.empty() && !source.sessionPath.empty()) {
        // Checkpoints live next to the session, one directory per configuration; without --resume a
        // rerun of the same configuration starts over there.
        const auto fingerprint = runManifest(*source.model, source.data, *method, pipeline).at("fingerprint").get<std::string>();
        pipeline.saveDir = (std::filesystem::path(RunStore::sessionRunsDir(source.sessionPath)) / fingerprint).string();
        if (!pipeline.resume) std::filesystem::remove_all(pipeline.saveDir);
    }
    // Finished layers always go to a run store and leave memory; without --save_dir or a session the
    // store is a temporary directory, removed when the job ends.
    if (pipeline.resume && pipeline.saveDir.empty())
        throw UsageError("`resume` needs `save_dir` (the directory of the run to continue) or the `session` it was made with");
    std::optional<TemporaryRunDir> scratch;
    if (pipeline.saveDir.empty()) {
        scratch.emplace();
        pipeline.saveDir = scratch->path();
    }
    pipeline.keepLayers = false;
    NullProgress silent;
    Progress& p = progress ? *progress : silent;
    // The last quarter of the progress bar is evaluation: perplexity, then tasks (FP, quantized each).
    const bool benchmarks = !req.tasks.empty() || !req.mmluDataDir.empty();
    const double evalShare = req.evalPpl || benchmarks ? 0.25 : 0.0, evalStart = 0.98 - evalShare;
    const double taskShare = !benchmarks ? 0.0 : req.evalPpl ? evalShare / 2 : evalShare;
    const double pplShare = evalShare - taskShare;
    auto t0 = std::chrono::steady_clock::now();
    {
        // A fresh run that fails before its first layer leaves no stub behind (it would only block a rerun).
        namespace fs = std::filesystem;
        std::error_code ec;
        const bool fresh = !pipeline.saveDir.empty() && !fs::exists(fs::path(pipeline.saveDir) / "run.json", ec);
        const bool dirExisted = !pipeline.saveDir.empty() && fs::exists(pipeline.saveDir, ec);
        SubProgress sub(p, 0, evalStart, "quantize ");
        try {
            std::function<void(const QuantizedLayer&, const LayerReport&)> staged;
            if (onLayer) staged = [&onLayer](const QuantizedLayer&, const LayerReport& report) { onLayer(report); };
            out.result = runQuantization(*source.model, source.data, source.actScales, *method, pipeline, &sub, staged);
        } catch (...) {
            if (fresh && RunStore::removeIfEmpty(pipeline.saveDir, !dirExisted) && req.pipeline.saveDir.empty() && !scratch) {
                const auto runs = fs::path(pipeline.saveDir).parent_path();
                if (fs::is_empty(runs, ec)) fs::remove(runs, ec);
            }
            throw;
        }
        out.saveDir = scratch ? std::string() : pipeline.saveDir;
    }
    out.quantizeSeconds = since(t0);

    const auto device = req.pipeline.devices.front();
    // Evaluation and export read the finished layers back from the store, one at a time.
    const auto store = std::make_shared<RunStore>(RunStore::open(pipeline.saveDir));
    const QuantizedLayerLoader layers = [store, &config, device](int i) { return store->loadLayer(i, config, device); };
    std::vector<std::int32_t> evalTokens;
    PerplexityOptions po;
    po.seqlen = source.data.settings.seqlen; // as the reference: the calibration seqlen
    po.maxWindows = req.evalLimit;
    if (req.evalPpl) {
        const auto text = req.evalText.empty() ? bundledEvalText() : req.evalText;
        evalTokens = tokenizeTextFile(*source.bundle.tokenizer, text);
        t0 = std::chrono::steady_clock::now();
        const auto key = text + "#" + std::to_string(req.evalLimit);
        out.fpPpl = source.fpResults->perplexity(key, [&] {
            SubProgress sub(p, evalStart, evalStart + pplShare / 2, "FP perplexity ");
            LlamaModel fp(source.bundle.checkpoint, device, source.model->dtype(), LlamaModel::Residency::Streamed);
            return evaluatePerplexity(fp, evalTokens, po, &sub).ppl;
        });
        QuantizedModel qm(source.bundle.checkpoint, device, layers, source.model->dtype());
        SubProgress sub(p, evalStart + pplShare / 2, evalStart + pplShare, "quantized perplexity ");
        const auto r = evaluatePerplexity(qm, evalTokens, po, &sub);
        out.quantPpl = r.ppl;
        out.evalWindows = r.windows;
        out.evalSeconds = since(t0);
    }
    // Tasks and MMLU share the benchmark part of the progress bar: FP first, then quantized.
    const double mmluSplit = req.tasks.empty() ? 0.0 : req.mmluDataDir.empty() ? 1.0 : 0.5;
    const double taskEnd = 0.98 - taskShare * (1 - mmluSplit);
    if (!req.tasks.empty()) {
        t0 = std::chrono::steady_clock::now();
        auto options = req.taskOptions;
        options.scoring.maxLength = config.maxPositions;
        std::string key = options.taskDir + "#" + std::to_string(options.limit) + "#" + harnessCompatName(options.compat);
        for (const auto& t : req.tasks) key += "#" + t;
        out.fpTasks = source.fpResults->tasks(key, [&] {
            SubProgress sub(p, evalStart + pplShare, (evalStart + pplShare + taskEnd) / 2, "FP tasks ");
            LlamaModel fp(source.bundle.checkpoint, device, source.model->dtype(), LlamaModel::Residency::Streamed);
            return evaluateTasks(fp, *source.bundle.tokenizer, req.tasks, options, &sub);
        });
        QuantizedModel qm(source.bundle.checkpoint, device, layers, source.model->dtype());
        SubProgress sub(p, (evalStart + pplShare + taskEnd) / 2, taskEnd, "quantized tasks ");
        out.quantTasks = evaluateTasks(qm, *source.bundle.tokenizer, req.tasks, options, &sub);
        out.evalSeconds += since(t0);
    }
    if (!req.mmluDataDir.empty()) {
        t0 = std::chrono::steady_clock::now();
        const auto context = config.maxPositions;
        std::string key = req.mmluDataDir + "#" + std::to_string(req.mmluOptions.shots) + "#" +
                          std::to_string(req.mmluOptions.limit) + "#" + std::to_string(req.mmluOptions.maxTokens);
        for (const auto& s : req.mmluOptions.subjects) key += "#" + s;
        out.fpMmlu = source.fpResults->mmlu(key, [&] {
            SubProgress sub(p, taskEnd, (taskEnd + 0.98) / 2, "FP MMLU ");
            LlamaModel fp(source.bundle.checkpoint, device, source.model->dtype(), LlamaModel::Residency::Streamed);
            return evaluateMmlu(fp, *source.bundle.tokenizer, context, req.mmluDataDir, req.mmluOptions, &sub);
        });
        QuantizedModel qm(source.bundle.checkpoint, device, layers, source.model->dtype());
        SubProgress sub(p, (taskEnd + 0.98) / 2, 0.98, "quantized MMLU ");
        out.quantMmlu = evaluateMmlu(qm, *source.bundle.tokenizer, context, req.mmluDataDir, req.mmluOptions, &sub);
        out.evalSeconds += since(t0);
    }
    if (!req.exportDir.empty()) {
        t0 = std::chrono::steady_clock::now();
        p.report(0.99, "exporting to " + req.exportDir);
        ExportInfo info;
        info.manifest = out.result.manifest;
        info.manifest["method_title"] = registry.info(req.method).title;
        for (const auto& r : out.result.reports) info.reports.push_back(r.toJson());
        if (out.fpPpl) info.manifest["fp_ppl"] = *out.fpPpl;
        if (out.quantPpl) info.manifest["quant_ppl"] = *out.quantPpl, info.manifest["eval_seqlen"] = po.seqlen;
        if (out.quantTasks) info.manifest["tasks"] = {{"fp", out.fpTasks->json()}, {"quantized", out.quantTasks->json()}};
        if (out.quantMmlu) info.manifest["mmlu"] = {{"fp", mmluJson(*out.fpMmlu)}, {"quantized", mmluJson(*out.quantMmlu)}};
        writeQuantizedExport(req.exportDir, *source.bundle.checkpoint, layers, info);
        out.exportSeconds = since(t0);
    }
    p.report(1.0, "done");
    return out;
}

nlohmann::json QuantizeOutcome::toJson(const CalibrationSource& source, const QuantizeRequest& req) const {
    nlohmann::json j;
    j["model"] = source.bundle.checkpoint->path();
    j["method"] = req.method;
    j["parameters"] = result.manifest.at("parameters");
    j["settings"] = result.manifest.at("settings");
    j["label"] = req.pipeline.settings.label();
    j["seed"] = req.pipeline.seed;
    j["calibration"] = {{"nsamples", source.data.settings.nsamples}, {"seqlen", source.data.settings.seqlen},
                        {"seed", source.data.settings.seed},         {"text_tokens", source.data.textTokens},
                        {"fingerprint", source.data.fingerprint},    {"session", source.sessionPath},
                        {"reused_session", source.reusedSession},    {"seconds", source.seconds}};
    j["fp_ppl"] = fpPpl ? nlohmann::json(*fpPpl) : nlohmann::json();
    j["quant_ppl"] = quantPpl ? nlohmann::json(*quantPpl) : nlohmann::json();
    if (quantPpl) j["eval"] = {{"seqlen", source.data.settings.seqlen}, {"windows", evalWindows}};
    if (quantMmlu) j["mmlu"] = {{"fp", mmluJson(*fpMmlu)}, {"quantized", mmluJson(*quantMmlu)}};
    if (quantTasks)
        j["tasks"] = {{"fp", fpTasks->json()},
                      {"quantized", quantTasks->json()},
                      {"harness_compat", harnessCompatName(quantTasks->compat)},
                      {"context_reuse", contextReuseName(quantTasks->contextReuse)}};
    j["layers"] = nlohmann::json::array();
    StageSeconds total;
    for (const auto& r : result.reports) {
        j["layers"].push_back(r.toJson());
        total.prepare += r.seconds.prepare, total.transform += r.seconds.transform, total.weights += r.seconds.weights;
        total.train += r.seconds.train, total.forward += r.seconds.forward, total.save += r.seconds.save;
        total.reports += r.seconds.reports;
    }
    j["seconds"] = {{"calibration", source.seconds}, {"smoothing", total.prepare}, {"transforms", total.transform},
                    {"weights", total.weights},      {"reports", total.reports},   {"training", total.train},
                    {"forward", total.forward},      {"checkpoint", total.save},   {"quantize_total", quantizeSeconds},
                    {"evaluation", evalSeconds},     {"export", exportSeconds}};
    j["resumed_layers"] = result.resumedLayers;
    j["memory"] = memory;
    j["save_dir"] = saveDir;
    j["export"] = req.exportDir;
    return j;
}

} // namespace ol
