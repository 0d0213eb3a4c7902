#include "core/workflow/demomodel.h"

#include "core/calib/plantoutliers.h"
#include "core/errors.h"
#include "core/io/atomicfile.h"
#include "core/model/checkpoint.h"
#include "core/model/hfwriter.h"
#include "core/model/overlaycheckpoint.h"
#include "core/progress.h"
#include "core/resources.h"

#include <filesystem>
#include <unistd.h>

namespace ol {

const std::vector<PlantedOutlier>& plantedDemoOutliers() {
    static const std::vector<PlantedOutlier> plan = {
        parsePlantedOutlier("0:7:150", true),
        parsePlantedOutlier("2:100:400", true),
        parsePlantedOutlier("1:attn_in:5:20", false),
        parsePlantedOutlier("3:mlp_in:30:25", false),
    };
    return plan;
}

std::string plantedDemoModel(const std::string& cacheDir, Progress* progress) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(cacheDir) / kPlantedDemoFolder;
    std::error_code ec;
    if (fs::exists(dir / "config.json", ec)) return dir.string();
    fs::create_directories(cacheDir, ec);
    if (ec) throw RuntimeFailure(cacheDir + ": cannot create the folder for the demo model: " + ec.message());
    if (progress) progress->report(0, "planting outliers into the bundled model (first start only)");
    const auto planted = plantOutliers(openCheckpoint(bundledModelPath(), bundledTokenizerPath()), plantedDemoOutliers());
    const fs::path temp = fs::path(cacheDir) / (".stories260K-planted-" + std::to_string(::getpid()));
    DirectoryGuard guard{temp.string()};
    fs::remove_all(temp, ec);
    writeHfDirectory(*planted, temp.string(), progress);
    fs::rename(temp, dir, ec);
    if (ec && !fs::exists(dir / "config.json")) // another process may have won the race: its copy is as good
        throw RuntimeFailure(dir.string() + ": cannot move the demo model into place: " + ec.message());
    return dir.string();
}

} // namespace ol
