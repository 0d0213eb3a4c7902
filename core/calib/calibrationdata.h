#pragma once
// Calibration token windows from one or more text files: nsamples windows of
// seqlen tokens, either at random starts drawn exactly as the reference
// projects draw them (Python's random.seed(seed); randint(0, N - seqlen - 1)),
// or consecutive non-overlapping windows from the start.
#include <cstdint>
#include <string>
#include <vector>

namespace ol {

class Tokenizer;
struct ModelConfig;

// Bounds far above any real calibration (the references use 128 x 2048): a
// value beyond them is a typo that would exhaust memory, not a request.
constexpr std::int64_t kMaxCalibrationWindows = 100000;
constexpr std::int64_t kMaxWindowTokens = 1 << 20;

struct CalibrationSettings {
    std::vector<std::string> textFiles;
    std::int64_t nsamples = 128;
    std::int64_t seqlen = 2048;
    std::uint64_t seed = 2;
    bool consecutive = false;
};

struct CalibrationData {
    CalibrationSettings settings;
    std::int64_t textTokens = 0;      // tokens of the joined texts (with BOS)
    std::vector<std::int64_t> starts; // window start of each sample
    std::vector<std::int32_t> tokens; // nsamples * seqlen, row-major
    std::string fingerprint;          // of the token windows (16 hex digits)
};

// The calibration defaults that the CLI, the batch mode and the GUI share (one definition, as llama.cpp's
// *_default_params()): the bundled calibration text; the references' 128 windows of seqlen -1, which
// fitCalibrationToModel settles on min(2048, the model's context); on the bundled demo model 32 × 256.
CalibrationSettings defaultCalibrationSettings(bool bundledModel);
// min(2048, max_position_embeddings): the default window of calibration and of evaluation.
std::int64_t defaultWindowTokens(const ModelConfig& config);
// Settles a seqlen of -1 on defaultWindowTokens and checks the limits: `nsamples` ≥ 1, 2 ≤ `seqlen` ≤ the
// model's context (UsageError naming the parameter).
void fitCalibrationToModel(CalibrationSettings& settings, const ModelConfig& config);

// Texts are joined with "\n\n" (as the reference joins WikiText rows) and
// tokenized once with BOS. Throws UsageError saying how many tokens the text
// has when it cannot supply nsamples windows of seqlen (random starts need
// N > seqlen; consecutive windows need N >= nsamples * seqlen).
CalibrationData buildCalibrationData(const Tokenizer& tokenizer, const CalibrationSettings& settings);

} // namespace ol
