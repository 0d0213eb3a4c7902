// outlierlab-cli plant-outliers: a model with outliers planted by exact rescalings.
#include "commands.h"
#include "common.h"

#include "core/calib/plantoutliers.h"
#include "core/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/hfwriter.h"
#include "core/model/overlaycheckpoint.h"
#include "core/progress.h"
#include "core/resources.h"

namespace ol::cli {

int runPlantOutliers(const Args& args) {
    Flags f("plant-outliers",
            "Writes a Hugging Face directory computing the same function as --model but with outliers planted by\n"
            "exact rescalings:\n"
            "  --massive LAYER:CHANNEL:F        up_proj row x F, down_proj column / F (down_proj input channel x F)\n"
            "  --normal LAYER:SITE:CHANNEL:F    SITE attn_in: input RMSNorm weight x F, q/k/v columns / F;\n"
            "                                   mlp_in: post-attention RMSNorm x F, gate/up columns / F;\n"
            "                                   o_in: v_proj row CHANNEL x F, matching o_proj columns / F");
    f.add("model", Flags::Kind::String, "llama2.c .bin file or HF directory (default: the bundled stories260K)");
    f.add("tokenizer", Flags::Kind::String, "tokenizer file (default: found beside the model)");
    f.add("out", Flags::Kind::String, "output directory (must not exist or be empty)");
    f.add("massive", Flags::Kind::String, "LAYER:CHANNEL:FACTOR (repeatable)");
    f.add("normal", Flags::Kind::String, "LAYER:SITE:CHANNEL:FACTOR (repeatable)");
    f.add("quiet", Flags::Kind::Switch, "no progress on stderr");
    if (!f.parse(args)) return kExitOk;
    if (!f.given("out")) throw UsageError("--out DIR is required");
    std::vector<PlantedOutlier> plan;
    for (const auto& m : f.all("massive")) plan.push_back(parsePlantedOutlier(m, true));
    for (const auto& n : f.all("normal")) plan.push_back(parsePlantedOutlier(n, false));
    if (plan.empty()) throw UsageError("nothing to plant: give --massive and/or --normal");
    const bool bundled = !f.given("model");
    auto ck = openCheckpoint(bundled ? bundledModelPath() : f.str("model"),
                             f.given("tokenizer") ? f.str("tokenizer") : (bundled ? bundledTokenizerPath() : ""));
    auto planted = plantOutliers(ck, plan);
    StderrProgress progress("plant-outliers ", !f.on("quiet"));
    for (const auto& p : plan) progress.report(0, p.describe());
    writeHfDirectory(*planted, f.str("out"), &progress);
    progress.finish("wrote " + f.str("out"));
    return kExitOk;
}

} // namespace ol::cli
