#include "commands.h"

#include "core/device.h"
#include "core/errors.h"
#include "core/version.h"

#include <cstdio>
#include <exception>

namespace ol::cli {

int runEval(const Args& args);
int runConvert(const Args& args);
int runCalibrate(const Args& args);
int runInspect(const Args& args);
int runPlantOutliers(const Args& args);
int runQuantize(const Args& args);
int runMethods(const Args& args);
int runBatch(const Args& args);
int runExport(const Args& args);
int runGenerate(const Args& args);

const std::vector<Command>& commands() {
    static const std::vector<Command> list = {
        {"eval", "perplexity, zero-shot tasks, MMLU and MT-Bench answers of a model or a quantized export", runEval},
        {"generate", "continue a prompt (greedy or sampled, with a KV cache)", runGenerate},
        {"convert", "write a llama2.c checkpoint as a Hugging Face directory", runConvert},
        {"calibrate", "activation statistics of every layer into an HDF5 session", runCalibrate},
        {"inspect", "massive and normal outliers of a session, per linear input", runInspect},
        {"plant-outliers", "a model with outliers planted by exact rescalings (same function)", runPlantOutliers},
        {"quantize", "quantize layer by layer with a method plugin; evaluate, checkpoint, export", runQuantize},
        {"methods", "the quantization methods found and their parameters", runMethods},
        {"batch", "run the configurations of a recipe with one calibration; comparison table", runBatch},
        {"export", "write a finished quantization run as a Hugging Face-style directory", runExport},
    };
    return list;
}

static void printUsage() {
    std::fprintf(stderr, "usage: outlierlab-cli <command> [flags]\n\ncommands:\n");
    for (const auto& c : commands()) std::fprintf(stderr, "  %-12s %s\n", c.name.c_str(), c.summary.c_str());
    std::fprintf(stderr, "\n'outlierlab-cli <command> --help' lists a command's flags.\n");
}

int runCli(int argc, char** argv) {
    if (argc < 2) {
        printUsage();
        return kExitUsage;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        printUsage();
        return kExitOk;
    }
    if (name == "--version") {
        std::printf("outlierlab-cli %s\n%s\n", OUTLIERLAB_VERSION_STRING, describeBuild().c_str());
        return kExitOk;
    }
    Args args(argv + 2, argv + argc);
    for (const auto& c : commands()) {
        if (c.name != name) continue;
        try {
            configureThreads();
            return c.run(args);
        } catch (const UsageError& e) {
            std::fprintf(stderr, "outlierlab-cli %s: %s\n", name.c_str(),
                         renderParameters(e.what(), ParameterStyle::Flag).c_str());
            return kExitUsage;
        } catch (const Cancelled&) {
            std::fprintf(stderr, "outlierlab-cli %s: cancelled\n", name.c_str());
            return kExitCancelled;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "outlierlab-cli %s: error: %s\n", name.c_str(),
                         renderParameters(e.what(), ParameterStyle::Flag).c_str());
            return kExitFailure;
        }
    }
    std::fprintf(stderr, "outlierlab-cli: unknown command '%s'\n", name.c_str());
    printUsage();
    return kExitUsage;
}

} // namespace ol::cli
