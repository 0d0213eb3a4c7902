#pragma once
// Steps shared by the rotation methods (DuQuant, RUQuant): the smoothing fold
// and the checks of block size and head_dim against the model.
#include <cstdint>
#include <nlohmann/json.hpp>

namespace ol {

struct LayerContext;
struct ModelConfig;
struct QuantizedLayer;

// Folds SmoothQuant's scales into the layer and records them (and the GQA o_proj divisor).
void foldSmoothing(const LayerContext& ctx, QuantizedLayer& layer, double alpha);
// What a method whose prepare() is only that fold reads of its parameters: `smooth` (when it has it) and `alpha`.
nlohmann::json smoothingParameters(const nlohmann::json& params);
// The rotation block size for a model when none is given: the references' 128 when every linear input has
// at least 128 channels, else 4 (the reference runs' value on the bundled 64-channel model). The CLI, the
// batch mode and the GUI all take it from here.
std::int64_t defaultBlockSize(const ModelConfig& config);
// UsageError when the block size exceeds the smallest linear input, or the Q/K Hadamard meets a
// head_dim that is not a power of two.
void checkRotationFits(const ModelConfig& config, std::int64_t blockSize, bool queryKeyHadamard);

} // namespace ol
