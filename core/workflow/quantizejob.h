#pragma once
// One quantization job from start to end, shared by the CLI (quantize,
// batch) and the GUI: calibration (computed, or reused from a session file
// after checking it matches), the layer-by-layer pipeline, FP and quantized
// perplexity with the calibration's seqlen (as the reference), export.
#include "core/calib/calibrationdata.h"
#include "core/eval/mmlu.h"
#include "core/eval/taskeval.h"
#include "core/model/modelloader.h"
#include "core/quant/pipeline.h"
#include "core/quant/smoothing.h"
#include "core/workflow/fpresultcache.h"
#include "core/workflow/memoryestimate.h"

#include <c10/core/ScalarType.h>
#include <memory>
#include <optional>

namespace ol {

class Checkpoint;
class LlamaModel;

// The model and its calibration, prepared once and reused by every configuration of a batch.
struct CalibrationSource {
    ModelBundle bundle;
    std::shared_ptr<LlamaModel> model;
    CalibrationData data;
    std::vector<LayerActScales> actScales;
    std::string sessionPath;
    bool reusedSession = false;
    double seconds = 0;
    // The FP results of this model, shared by every job that quantizes it (thread-safe).
    std::shared_ptr<FpResultCache> fpResults = std::make_shared<FpResultCache>();
};

// Opens the model; calibrates, or reuses `sessionPath` when it exists and was made from the same
// model and windows (UsageError naming the difference otherwise); writes the session when it did not exist.
// `spill`: where every window's hidden state lives while calibrating (Auto without a budget: a quarter
// of the available memory).
CalibrationSource prepareCalibration(const std::string& modelPath, const std::string& tokenizerPath, c10::Device device,
                                     c10::ScalarType dtype, const CalibrationSettings& settings, const std::string& sessionPath,
                                     Progress* progress, SpillPolicy spill = {});

// An Auto policy without a budget gets a quarter of `budget`: activation sets larger than that spill.
SpillPolicy spillWithin(SpillPolicy policy, const MemoryBudget& budget);

struct QuantizeRequest {
    std::string method = "duquant";
    nlohmann::json methodParams = nlohmann::json::object(); // given values; defaults come from the plugin metadata
    PipelineOptions pipeline;
    bool evalPpl = false;
    std::string evalText;           // empty: the bundled stories-eval.txt
    std::int64_t evalLimit = -1;    // at most this many windows (the reference's --limit); -1: all
    std::vector<std::string> tasks; // zero-shot tasks for FP and quantized (empty: none)
    TaskOptions taskOptions;        // its maxLength is set from the model
    std::string mmluDataDir;        // MMLU for FP and quantized (empty: none)
    MmluOptions mmluOptions;
    std::string exportDir; // empty: no export
    MemoryBudget memory;   // bytes 0: the available memory
};

// The peak memory of the job: calibration (unless statistics come from a session), the layer-by-layer
// quantization, the evaluation. `checkpoint` gives the shapes and the stored dtype.
MemoryEstimate estimateQuantizeJob(const Checkpoint& checkpoint, const CalibrationSettings& calibration,
                                   const QuantizeRequest& request, bool calibrate);
// What to change when a quantization job does not fit.
extern const char* const kQuantizeMemoryAdvice;

struct QuantizeOutcome {
    QuantizationResult result;
    std::optional<double> fpPpl, quantPpl;
    std::optional<TaskResults> fpTasks, quantTasks;
    std::optional<MmluResult> fpMmlu, quantMmlu;
    std::int64_t evalWindows = 0;
    std::string saveDir; // where the per-layer checkpoints went ("" when none)
    double quantizeSeconds = 0, evalSeconds = 0, exportSeconds = 0;
    nlohmann::json memory; // the estimate checked before the run
    nlohmann::json toJson(const CalibrationSource& source, const QuantizeRequest& request) const;
};

// `onLayer` (optional) receives each layer's report as soon as that layer is quantized (staged results).
QuantizeOutcome runQuantizeJob(const CalibrationSource& source, const QuantizeRequest& request, Progress* progress,
                               const std::function<void(const LayerReport&)>& onLayer = {});

} // namespace ol
