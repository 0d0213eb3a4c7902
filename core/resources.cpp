#include "core/resources.h"

#include <cstdlib>
#include <filesystem>

namespace ol {

std::string resourcesDir() {
    namespace fs = std::filesystem;
    // NOLINTNEXTLINE(concurrency-mt-unsafe): nothing sets the environment after start-up
    if (const char* env = std::getenv("OUTLIERLAB_RESOURCES"); env && *env) return env;
    // An installed program (bin/ beside share/outlierlab) uses its own files, even where a build tree exists.
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    const fs::path installed = exe.parent_path().parent_path() / "share" / "outlierlab";
    if (!ec && fs::exists(installed / "demo", ec)) return installed.string();
    if (fs::exists(fs::path(OUTLIERLAB_RESOURCES_DIR) / "demo", ec)) return OUTLIERLAB_RESOURCES_DIR;
    return installed.string();
}

std::string bundledModelPath() { return resourcesDir() + "/demo/stories260K.bin"; }
std::string bundledTokenizerPath() { return resourcesDir() + "/demo/tok512.bin"; }
std::string bundledCalibText() { return resourcesDir() + "/corpus/stories-calib.txt"; }
std::string bundledEvalText() { return resourcesDir() + "/corpus/stories-eval.txt"; }

} // namespace ol
