#include "core/workflow/workspace.h"

#include "core/calib/calibrator.h"
#include "core/calib/session.h"
#include "core/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/model/modelconfig.h"
#include "core/progress.h"
#include "core/resources.h"

#include <ATen/ATen.h>
#include <chrono>
#include <filesystem>

namespace ol {

int Workspace::numLayers() const { return source.model ? source.model->numLayers() : 0; }

const SiteStatistics* Workspace::statistics(int layer, Site site) const {
    for (const auto& s : sites)
        if (s.layer == layer && s.site == site) return &s;
    return nullptr;
}

const OutlierReport* Workspace::outlierReport(int layer, Site site) const {
    for (std::size_t i = 0; i < sites.size(); ++i)
        if (sites[i].layer == layer && sites[i].site == site) return &outliers[i];
    return nullptr;
}

std::string Workspace::modelName() const {
    auto path = std::filesystem::path(modelPath.empty() ? bundledModelPath() : modelPath).lexically_normal();
    if (!path.has_filename()) path = path.parent_path(); // "models/llama/"
    std::error_code ec;
    return (std::filesystem::is_directory(path, ec) ? path.filename() : path.stem()).string();
}

std::pair<int, Site> Workspace::mostOutlyingSite() const {
    int best = 0;
    double bestRatio = -1;
    for (std::size_t i = 0; i < sites.size(); ++i)
        if (sites[i].site == Site::DownInput && outliers[i].ratio > bestRatio)
            bestRatio = outliers[i].ratio, best = sites[i].layer;
    return {best, Site::DownInput};
}

namespace {

std::shared_ptr<Workspace> openModelOnly(const std::string& modelPath, const std::string& tokenizerPath,
                                         CalibrationSettings settings) {
    auto w = std::make_shared<Workspace>();
    w->modelPath = modelPath;
    w->tokenizerPath = tokenizerPath;
    w->source.bundle = openModel(modelPath, tokenizerPath);
    const auto& config = w->source.bundle.checkpoint->config();
    fitCalibrationToModel(settings, config);
    w->source.model = std::make_shared<LlamaModel>(w->source.bundle.checkpoint, c10::Device(c10::kCPU), c10::kFloat,
                                                   LlamaModel::Residency::Streamed);
    w->source.data = buildCalibrationData(*w->source.bundle.tokenizer, settings);
    return w;
}

void classifyAll(Workspace& w) {
    w.outliers.clear();
    for (const auto& s : w.sites) w.outliers.push_back(classifyOutliers(s));
    std::vector<SiteStatistics> linear;
    for (const auto& s : w.sites)
        if (isLinearInput(s.site)) linear.push_back(s);
    w.source.actScales = actScalesFromStatistics(linear, w.numLayers());
}

} // namespace

std::shared_ptr<Workspace> calibrateWorkspace(const std::string& modelPath, const std::string& tokenizerPath,
                                              const CalibrationSettings& settings, Progress* progress,
                                              const LayerCalibrated& onLayer) {
    NullProgress silent;
    Progress& p = progress ? *progress : silent;
    p.report(0, "opening the model");
    auto w = openModelOnly(modelPath, tokenizerPath, settings);
    p.checkCancelled();
    // The workbench keeps every layer's statistics (its views show them); activations spill past a
    // quarter of the available memory, and a calibration that still cannot fit is refused up front.
    const auto budget = MemoryBudget::available();
    CalibrationOptions options;
    options.spill = spillWithin({}, budget);
    const auto& cs = w->source.data.settings;
    requireMemory(estimateCalibration(w->source.model->config(), ModelFootprint::of(*w->source.bundle.checkpoint), cs.nsamples,
                                      cs.seqlen, options.batchSize, options.spill.budgetBytes),
                  budget, "choose fewer windows or shorter ones in Run > Calibrate");
    SubProgress sub(p, 0.02, 1.0, "calibrate: ");
    std::function<void(const std::vector<SiteStatistics>&)> staged;
    if (onLayer)
        staged = [&onLayer](const std::vector<SiteStatistics>& sites) {
            std::vector<OutlierReport> reports;
            reports.reserve(sites.size());
            for (const auto& s : sites) reports.push_back(classifyOutliers(s));
            onLayer(sites, reports);
        };
    auto r = runCalibration(*w->source.model, w->source.data, options, &sub, staged);
    w->sites = std::move(r.sites);
    w->calibrationSeconds = r.seconds;
    classifyAll(*w);
    p.report(1, "calibrated " + std::to_string(w->numLayers()) + " layers");
    return w;
}

std::shared_ptr<Workspace> openSessionWorkspace(const std::string& sessionPath, Progress* progress) {
    NullProgress silent;
    Progress& p = progress ? *progress : silent;
    p.report(0, "reading " + sessionPath);
    SessionReader reader(sessionPath);
    const auto& info = reader.info();
    if (!std::filesystem::exists(info.model.path))
        throw UsageError("session " + sessionPath + " was made from " + info.model.path +
                         ", which no longer exists; open the model and calibrate again");
    auto w = openModelOnly(info.model.path, info.model.tokenizer, info.calibration);
    if (w->source.bundle.checkpoint->fingerprint() != info.model.fingerprint)
        throw UsageError("session " + sessionPath + ": the model at " + info.model.path +
                         " changed since it was calibrated (fingerprint differs); calibrate again");
    const auto& list = reader.sites();
    for (std::size_t i = 0; i < list.size(); ++i) {
        p.checkCancelled();
        p.report(static_cast<double>(i) / list.size(), "reading layer " + std::to_string(list[i].first));
        w->sites.push_back(reader.statistics(list[i].first, list[i].second));
    }
    w->calibrationSeconds = info.calibrationSeconds;
    w->source.sessionPath = sessionPath;
    w->source.reusedSession = true;
    classifyAll(*w);
    p.report(1, "opened " + sessionPath);
    return w;
}

void saveWorkspaceSession(const Workspace& w, const std::string& sessionPath) {
    writeSession(sessionPath, makeSessionInfo(*w.source.bundle.checkpoint, w.source.data, w.calibrationSeconds), w.sites);
}

} // namespace ol
