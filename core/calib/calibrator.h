#pragma once
// Runs calibration windows through the model layer by layer (each layer's
// weights are loaded once and released after), observing every site.
#include "core/calib/calibrationdata.h"
#include "core/calib/siteaccumulator.h"
#include "core/calib/sitestatistics.h"
#include "core/io/spilltensor.h"

#include <functional>
#include <vector>

namespace ol {

class LlamaModel;
class Progress;

struct CalibrationOptions {
    std::int64_t batchSize = 4;
    AccumulatorOptions accumulator;
    SpillPolicy spill; // where every window's hidden state lives (RAM or a spill file)
    // False: each layer's statistics go only to onLayer and are not gathered in the result (a tile of
    // 256 tokens per site is 35 MiB a layer for a 7B model; a quantization needs only act_scales).
    bool gatherStatistics = true;
};

struct CalibrationResult {
    std::vector<SiteStatistics> sites; // layer-major, sites in Site order
    double seconds = 0;
};

// Every window's embedding [n, T, H] (rows gathered: exact), a batch at a time into RAM or a spill file
// as `spill` decides, each batch's pages released once written. Calibration and the pipeline start here.
at::Tensor embedWindows(const LlamaModel& model, const at::Tensor& tokens, std::int64_t batch, const SpillPolicy& spill);

// `onLayer` (optional) receives each layer's statistics as soon as it is done
// (staged results for views, per-layer session writes).
CalibrationResult runCalibration(const LlamaModel& model, const CalibrationData& data, const CalibrationOptions& options,
                                 Progress* progress = nullptr,
                                 const std::function<void(const std::vector<SiteStatistics>&)>& onLayer = {});

} // namespace ol
