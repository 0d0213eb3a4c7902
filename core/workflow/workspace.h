#pragma once
// What the workbench holds while a researcher looks at a model: the opened
// model with its calibration windows (ready to quantize, as the CLI's
// CalibrationSource) and the statistics and outlier reports of every site.
// Built by calibrating, or by reading a session file (the model is reopened
// from the path the session names and the windows rebuilt from its settings).
#include "core/calib/outliers.h"
#include "core/calib/sitestatistics.h"
#include "core/workflow/quantizejob.h"

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ol {

class Progress;

struct Workspace {
    CalibrationSource source;            // model, windows, act_scales
    std::vector<SiteStatistics> sites;   // every site of every layer, layer-major
    std::vector<OutlierReport> outliers; // same order as sites
    std::string modelPath, tokenizerPath;
    double calibrationSeconds = 0;

    int numLayers() const;
    // nullptr when absent.
    const SiteStatistics* statistics(int layer, Site site) const;
    const OutlierReport* outlierReport(int layer, Site site) const;
    // A short name of the model for titles and output names: "stories260K" for the bundled one, else the
    // file's or directory's name.
    std::string modelName() const;
    // Where a first look should start: the down_proj input of the layer with the largest outlier ratio
    // there (massive activations live at down_proj inputs, Sun et al. 2024).
    std::pair<int, Site> mostOutlyingSite() const;
};

// Opens the model (empty path: the bundled demo model) and calibrates it on `settings`.
// Called on the calibrating thread with each layer's statistics and outlier reports as soon as that layer is
// done (staged results for the views).
using LayerCalibrated = std::function<void(const std::vector<SiteStatistics>&, const std::vector<OutlierReport>&)>;
std::shared_ptr<Workspace> calibrateWorkspace(const std::string& modelPath, const std::string& tokenizerPath,
                                              const CalibrationSettings& settings, Progress* progress,
                                              const LayerCalibrated& onLayer = {});
// Reads a session file and reopens the model it was made from (FormatError/UsageError naming the file
// when the model moved or changed since).
std::shared_ptr<Workspace> openSessionWorkspace(const std::string& sessionPath, Progress* progress);
// Writes the workspace's statistics as a session file (atomically).
void saveWorkspaceSession(const Workspace& workspace, const std::string& sessionPath);

} // namespace ol
