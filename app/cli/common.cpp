#include "common.h"

#include "core/io/atomicfile.h"

#include <filesystem>

#include "core/errors.h"

#include <cstdio>
#include <fstream>

namespace ol::cli {

void addModelFlags(Flags& f) {
    f.add("model", Flags::Kind::String, "llama2.c .bin file or Hugging Face directory (default: the bundled stories260K)");
    f.add("tokenizer", Flags::Kind::String, "tokenizer file (default: found beside the model)");
    f.add("device", Flags::Kind::String, "cpu, cuda, cuda:N or auto", "auto");
    f.add("dtype", Flags::Kind::String, "compute dtype: float32 or bfloat16", "float32");
}

void addMemoryFlag(Flags& f) {
    f.add("max_memory", Flags::Kind::String,
          "memory the job may use, e.g. 8G or 512M; a job whose estimated peak exceeds it is refused before it starts "
          "(default: the available memory)");
}

MemoryBudget memoryBudget(const Flags& f) {
    if (!f.given("max_memory")) return MemoryBudget::available();
    return {parseMemorySize(f.str("max_memory"), "--max_memory"), "given by --max_memory"};
}

void addSpillFlags(Flags& f) {
    f.add("spill", Flags::Kind::String,
          "calibration activations (every window's hidden state) in RAM or in a file: auto (a file when they exceed a "
          "quarter of --max_memory), always, never",
          "auto");
    f.add("spill_dir", Flags::Kind::String, "directory of the spill files (default: the system's temporary directory)");
}

SpillPolicy spillPolicy(const Flags& f, const MemoryBudget& budget) {
    SpillPolicy p;
    p.mode = parseSpillMode(f.str("spill"), "--spill");
    p.directory = f.str("spill_dir");
    if (!p.directory.empty() && !std::filesystem::is_directory(p.directory))
        throw UsageError("--spill_dir " + p.directory + ": not a directory");
    p.budgetBytes = budget.bytes / 4;
    return p;
}

c10::ScalarType parseDtype(const std::string& t) {
    if (t == "float32" || t == "fp32" || t == "float") return c10::kFloat;
    if (t == "bfloat16" || t == "bf16") return c10::kBFloat16;
    // float16 is refused rather than half supported: LibTorch's CPU kernels
    // lack half matrix products, and the quantizers are tested in float32/bfloat16.
    throw UsageError("--dtype '" + t + "' is not supported (float32 or bfloat16)");
}

std::int64_t windowLimit(const Flags& f, const std::string& name) {
    const auto n = f.integer(name);
    if (n == 0 || n < -1) throw UsageError("--" + name + " " + std::to_string(n) + ": give -1 (every window) or at least 1");
    return n;
}

void writeTextFile(const std::string& path, const std::string& text) {
    AtomicFile file(path);
    {
        std::ofstream out(file.tempPath(), std::ios::binary);
        out << text;
        if (!out.flush()) throw RuntimeFailure(path + ": write failed");
    }
    file.commit();
}

void printJson(const std::string& json) {
    std::fputs(json.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

} // namespace ol::cli
