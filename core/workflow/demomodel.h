#pragma once
// The workbench's demo: the bundled stories260K with outliers planted by exact rescalings (the same function,
// calib/plantoutliers.h), because the model has none of its own and the tool exists to show them. The
// recipe is the one the tests and shared/data/README.md use: massive ×150 at layer 0's down_proj input channel
// 7 and ×400 at layer 2's channel 100, normal ×20 at layer 1's attention input channel 5 and ×25 at layer 3's
// MLP input channel 30 — massive outliers at down_proj inputs and normal-outlier channels, as in the DuQuant
// and "Massive Activations" papers.
#include <string>
#include <vector>

namespace ol {

class Progress;
struct PlantedOutlier;

const std::vector<PlantedOutlier>& plantedDemoOutliers();
// The folder plantedDemoModel() writes; its version changes with the recipe, so an older copy is never used.
constexpr const char* kPlantedDemoFolder = "stories260K-planted-v1";
// The planted demo as a Hugging Face directory under `cacheDir` (written on first use, atomically: a folder
// renamed into place when complete); returns its path.
std::string plantedDemoModel(const std::string& cacheDir, Progress* progress = nullptr);

} // namespace ol
