#pragma once
// Where the bundled demo model and corpus live: $OUTLIERLAB_RESOURCES, else <prefix>/share/outlierlab
// beside an installed program, else the source tree's resources/ (build trees).
#include <string>

namespace ol {

std::string resourcesDir();
std::string bundledModelPath();     // resources/demo/stories260K.bin
std::string bundledTokenizerPath(); // resources/demo/tok512.bin
std::string bundledCalibText();     // resources/corpus/stories-calib.txt
std::string bundledEvalText();      // resources/corpus/stories-eval.txt

} // namespace ol
