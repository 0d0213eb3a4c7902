#include "core/calib/calibrationdata.h"

#include "core/calib/pythonrandom.h"
#include "core/errors.h"
#include "core/io/filecheck.h"
#include "core/io/hash.h"
#include "core/model/modelconfig.h"
#include "core/model/tokenizer.h"
#include "core/resources.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace ol {

CalibrationSettings defaultCalibrationSettings(bool bundledModel) {
    CalibrationSettings s;
    s.textFiles = {bundledCalibText()};
    s.nsamples = bundledModel ? 32 : 128;
    s.seqlen = bundledModel ? 256 : -1;
    return s;
}

std::int64_t defaultWindowTokens(const ModelConfig& config) { return std::min<std::int64_t>(2048, config.maxPositions); }

void fitCalibrationToModel(CalibrationSettings& s, const ModelConfig& config) {
    if (s.seqlen == -1) s.seqlen = defaultWindowTokens(config);
    if (s.nsamples < 1) throw UsageError("`nsamples` must be at least 1 (got " + std::to_string(s.nsamples) + ")");
    if (s.seqlen < 2) throw UsageError("`seqlen` must be at least 2 (got " + std::to_string(s.seqlen) + ")");
    if (s.seqlen > config.maxPositions)
        throw UsageError("`seqlen` " + std::to_string(s.seqlen) + " exceeds the model's max_position_embeddings " +
                         std::to_string(config.maxPositions));
}

CalibrationData buildCalibrationData(const Tokenizer& tokenizer, const CalibrationSettings& s) {
    if (s.textFiles.empty()) throw UsageError("`calib_dataset`: no calibration text given");
    if (s.nsamples < 1) throw UsageError("`nsamples` must be at least 1 (got " + std::to_string(s.nsamples) + ")");
    if (s.seqlen < 2) throw UsageError("`seqlen` must be at least 2 (got " + std::to_string(s.seqlen) + ")");
    if (s.nsamples > kMaxCalibrationWindows)
        throw UsageError("`nsamples` " + std::to_string(s.nsamples) + " is out of range (at most " +
                         std::to_string(kMaxCalibrationWindows) + " windows)");
    if (s.seqlen > kMaxWindowTokens)
        throw UsageError("`seqlen` " + std::to_string(s.seqlen) + " is out of range (at most " +
                         std::to_string(kMaxWindowTokens) + " tokens)");
    if (s.seed > static_cast<std::uint64_t>(INT64_MAX))
        throw UsageError("`seed` " + std::to_string(s.seed) + " is out of range (0 to " + std::to_string(INT64_MAX) + ")");
    std::string text;
    for (const auto& file : s.textFiles) {
        requireRegularFile(file, "calibration text");
        std::ifstream in(file, std::ios::binary);
        if (!in) throw FormatError(file + ": cannot read the calibration text");
        std::ostringstream buf;
        buf << in.rdbuf();
        if (buf.str().empty()) throw FormatError(file + ": the calibration text is empty");
        if (!text.empty()) text += "\n\n";
        text += buf.str();
    }
    const auto all = tokenizer.encode(text, true);
    const auto n = static_cast<std::int64_t>(all.size());
    CalibrationData d;
    d.settings = s;
    d.textTokens = n;
    const std::string what = std::to_string(s.nsamples) + " windows of " + std::to_string(s.seqlen) + " tokens";
    if (s.consecutive) {
        if (n < s.nsamples * s.seqlen)
            throw UsageError("the calibration text has " + std::to_string(n) + " tokens, fewer than the " +
                             std::to_string(s.nsamples * s.seqlen) + " needed for " + what +
                             " (lower `nsamples` or `seqlen`, or add text)");
        for (std::int64_t i = 0; i < s.nsamples; ++i) d.starts.push_back(i * s.seqlen);
    } else {
        if (n <= s.seqlen + 1)
            throw UsageError("the calibration text has " + std::to_string(n) + " tokens, too few for random " + what +
                             " (needs more than " + std::to_string(s.seqlen + 1) + ")");
        PythonRandom rng(s.seed);
        for (std::int64_t i = 0; i < s.nsamples; ++i) d.starts.push_back(rng.randint(0, n - s.seqlen - 1));
    }
    d.tokens.reserve(static_cast<std::size_t>(s.nsamples * s.seqlen));
    for (auto start : d.starts) d.tokens.insert(d.tokens.end(), all.begin() + start, all.begin() + start + s.seqlen);
    Fnv64 h;
    h.add(d.tokens.data(), d.tokens.size() * sizeof(std::int32_t));
    d.fingerprint = h.hex();
    return d;
}

} // namespace ol
