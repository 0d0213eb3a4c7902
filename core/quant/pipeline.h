#pragma once
// The layer-by-layer quantization pipeline (architecture page, data flow 4):
// embed the calibration windows, then for each decoder layer load it, let the
// method calibrate its transforms on the layer's input as the quantized model
// so far produces it, optionally train, quantize the weights, checkpoint the
// layer, free it. Resumes after the last finished layer of a --save_dir.
#include "core/io/spilltensor.h"
#include "core/quant/layerquantizer.h"

#include <c10/core/Device.h>
#include <functional>
#include <string>
#include <vector>

namespace ol {

class LlamaModel;
class Progress;
struct CalibrationData;
struct SiteStatistics;

struct PipelineOptions {
    QuantSettings settings;
    std::vector<c10::Device> devices{c10::Device(c10::kCPU)}; // several: layers spread over them (--multigpu)
    std::uint64_t seed = 2;
    std::string saveDir; // empty: no checkpoints
    bool resume = false;
    std::int64_t batchSize = 4; // samples per forward when propagating training inputs
    // False: each finished layer goes to the run store (saveDir) and leaves memory; the result's
    // `layers` stays empty and a QuantizedModel streams them back (runStoreLoader).
    bool keepLayers = true;
    SpillPolicy spill; // where every window's layer input lives (RAM or a spill file)
};

struct QuantizationResult {
    std::vector<QuantizedLayer> layers; // empty unless PipelineOptions::keepLayers
    std::vector<LayerReport> reports;
    int resumedLayers = 0; // layers taken from the checkpoint directory
    double seconds = 0;
    nlohmann::json manifest;
};

std::vector<LayerActScales> actScalesFromStatistics(const std::vector<SiteStatistics>& sites, int numLayers);

// Everything that decides the result, with a fingerprint over it (resume refuses a mismatch).
nlohmann::json runManifest(const LlamaModel& model, const CalibrationData& data, const QuantMethod& method,
                           const PipelineOptions& options);

QuantizationResult runQuantization(const LlamaModel& model, const CalibrationData& data,
                                   const std::vector<LayerActScales>& actScales, const QuantMethod& method,
                                   const PipelineOptions& options, Progress* progress = nullptr,
                                   const std::function<void(const QuantizedLayer&, const LayerReport&)>& onLayer = {});

} // namespace ol
