// A batch recipe (docs/recipes.md) as `outlierlab-cli batch` reads it before
// any work: the file, its keys, and each run's quantizer and method values.
// Every problem must be a UsageError naming the file.
#include "fuzzsupport.h"

#include "core/quant/methodregistry.h"
#include "methodflags.h"
#include "recipe.h"

#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = olfuzz::writeFile("recipe.json", data, size);
    olfuzz::expectTypedErrors([&] {
        const auto recipe = ol::cli::readRecipe(path);
        const nlohmann::json defaults = recipe.value("defaults", nlohmann::json::object());
        for (const auto& run : recipe["runs"]) {
            nlohmann::json values = defaults;
            for (const auto& [k, v] : run.items()) values[k] = v;
            const ol::cli::RecipeObject job(values, path, "runs[0].");
            const std::string method = job.string("method", "duquant");
            (void)job.integer("rotation_seed", 0, 0, INT64_MAX);
            (void)job.boolean("resume", false);
            (void)job.string("save_dir", "");
            nlohmann::json params = values;
            for (const char* key : {"name", "method", "export", "save_dir", "resume", "rotation_seed"}) params.erase(key);
            (void)ol::cli::quantSettingsFromJson(params);
            (void)ol::cli::methodParamsFromJson(params, method);
        }
    });
    return 0;
}
