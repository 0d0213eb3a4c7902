// outlierlab-cli convert: a llama2.c checkpoint as a Hugging Face directory.
#include "commands.h"
#include "common.h"

#include "core/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/hfwriter.h"
#include "core/progress.h"
#include "core/resources.h"

namespace ol::cli {

int runConvert(const Args& args) {
    Flags f("convert", "Writes a checkpoint (llama2.c .bin or HF directory) as a Hugging Face directory: config.json,\n"
                       "model.safetensors (F32) and the tokenizer. llama2.c's interleaved rotary rows of q/k are\n"
                       "permuted to Hugging Face's rotate-half convention, so both compute the same logits.");
    f.add("model", Flags::Kind::String, "llama2.c .bin file or HF directory (default: the bundled stories260K)");
    f.add("tokenizer", Flags::Kind::String, "tokenizer file (default: found beside the model)");
    f.add("out", Flags::Kind::String, "output directory (must not exist or be empty)");
    f.add("quiet", Flags::Kind::Switch, "no progress on stderr");
    if (!f.parse(args)) return kExitOk;
    if (!f.given("out")) throw UsageError("--out DIR is required");
    const bool bundled = !f.given("model");
    auto ck = openCheckpoint(bundled ? bundledModelPath() : f.str("model"),
                             f.given("tokenizer") ? f.str("tokenizer") : (bundled ? bundledTokenizerPath() : ""));
    StderrProgress progress("convert ", !f.on("quiet"));
    writeHfDirectory(*ck, f.str("out"), &progress);
    progress.finish("wrote " + f.str("out"));
    return kExitOk;
}

} // namespace ol::cli
