#pragma once
// The export of a quantized model: a Hugging Face-style directory with
//   config.json          the model config plus a "quantization_config" naming
//                        the method, bits, granularity, clipping, transforms
//   model.safetensors    embedding/norm/head in float32; per layer the packed
//                        integer weights (.qweight), .scales, .zeros, the
//                        RMSNorm weights (smoothing folded in) and the online
//                        transforms (input_transforms.<site>.*), names as in
//                        quant/layerserializer.h under model.layers.<i>.
//   quantization_report.json   settings, fingerprints, perplexities, per-layer errors
//   the tokenizer file
// OutlierLab reopens it (openQuantizedExport) and evaluates it to the same numbers.
#include "core/quant/quantizedlayer.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

namespace ol {

class Checkpoint;
class Progress;

struct ExportInfo {
    nlohmann::json manifest;                          // the run's manifest (method, parameters, settings, fingerprints)
    nlohmann::json reports = nlohmann::json::array(); // per-layer reports
    std::string flag = "`export`";                    // how messages name the output directory
};

// The directory appears only when complete. UsageError when `dir` exists and is not empty,
// RuntimeFailure when it cannot be written.
// Writes tensor by tensor, holding one layer at a time (each loaded twice: once to declare, once to write).
void writeQuantizedExport(const std::string& dir, const Checkpoint& fp, const QuantizedLayerLoader& layers,
                          const ExportInfo& info, Progress* progress = nullptr);
void writeQuantizedExport(const std::string& dir, const Checkpoint& fp, const std::vector<QuantizedLayer>& layers,
                          const ExportInfo& info, Progress* progress = nullptr);

// True when `dir` holds config.json with an OutlierLab quantization_config.
bool isQuantizedExport(const std::string& dir);

struct QuantizedExport {
    // Presents the dequantized weights under the usual names (the model's embedding/head come from here too).
    std::shared_ptr<const Checkpoint> checkpoint;
    nlohmann::json quantizationConfig;
    int numLayers = 0;
    QuantizedLayerLoader loadLayer; // decodes one layer from the file on the device given to open
    std::vector<QuantizedLayer> loadAllLayers() const;
};

// FormatError naming the file and tensor for anything missing or inconsistent.
QuantizedExport openQuantizedExport(const std::string& dir, c10::Device device);

} // namespace ol
