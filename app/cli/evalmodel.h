#pragma once
// The model an evaluation command runs: an FP checkpoint, or a quantized export with its online activation work.
#include "flags.h"

#include "core/model/causallm.h"
#include "core/model/modelloader.h"
#include "core/quant/quantizedlayer.h"

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>
#include <memory>
#include <nlohmann/json.hpp>

namespace ol::cli {

struct EvalModel {
    ModelBundle bundle;
    std::unique_ptr<CausalLm> model;
    bool quantized = false;
    nlohmann::json quantizationConfig; // the export's, when quantized
    QuantizedLayerLoader loader;       // decodes the export's layers, when quantized
};

// Checks the files (export or checkpoint, tokenizer) without loading weights.
EvalModel openEvalModelFiles(const Flags& flags, c10::Device device);
// Creates the model (after the caller's memory check).
void loadEvalModel(EvalModel& m, c10::Device device, c10::ScalarType dtype);

} // namespace ol::cli
