#pragma once
// The models bench_scale measures: LLaMA-shaped Hugging Face directories with
// random F16 weights (config.json, model.safetensors written tensor by tensor,
// a 32000-token llama2.c tokenizer.bin), generated on the fly so that no
// multi-GB checkpoint is downloaded or committed.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace scalebench {

struct Shape {
    std::string name;
    std::int64_t hidden, intermediate, layers, heads, kvHeads;
    std::int64_t vocab = 32000;
    std::int64_t headDim() const { return hidden / heads; }
};

extern const std::vector<Shape> kShapes; // tiny, 1.1b (TinyLlama), 7b (LLaMA-2-7B)

std::uint64_t parameterCount(const Shape& s);
// The float->half conversion checked against every half value (run once at start-up).
bool halfConversionWorks();

void writeConfig(const std::filesystem::path& dir, const Shape& s);
// Returns the bytes written; prints progress to stderr under `label`.
std::uint64_t writeSafetensors(const std::filesystem::path& path, const Shape& shape, const std::string& label);
void writeTokenizer(const std::filesystem::path& path, std::size_t vocab);

// Throws when the user interrupted (defined by the program: Ctrl-C must stop a 13.5 GB write).
void checkInterrupt();

} // namespace scalebench
