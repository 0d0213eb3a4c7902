#pragma once
// Pieces shared by the quantize and batch commands.
#include "flags.h"

#include "core/calib/calibrationdata.h"
#include "core/workflow/quantizejob.h"

#include <nlohmann/json.hpp>

namespace ol::cli {

// --calib_dataset --nsamples --seqlen --seed --consecutive
void addCalibrationFlags(Flags& flags);
// Bundled model defaults: stories-calib.txt, 32 windows of 256 tokens; otherwise 128 x min(2048, model limit).
CalibrationSettings calibrationSettingsFromFlags(const Flags& flags, bool bundledModel);
// Opens the model and calibrates or reuses --session; `settings` already fitted to the model (fitCalibrationToModel).
CalibrationSource prepareSource(const Flags& flags, const CalibrationSettings& settings, c10::Device device, Progress* progress,
                                const SpillPolicy& spill);
std::vector<c10::Device> devicesFor(c10::Device device, bool multigpu);
// A human-readable summary of a quantize result (per-layer SQNR table, perplexities, times).
void printQuantizeSummary(const nlohmann::json& result);

} // namespace ol::cli
