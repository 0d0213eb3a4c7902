#pragma once
// The architecture of a LLaMA-family decoder, as read from a Hugging Face
// config.json or a llama2.c header.
#include <cstdint>
#include <optional>
#include <string>

namespace ol {

// Llama-3.1 "llama3" rope_scaling: long-context rescaling of the rotary frequencies.
struct RopeScaling {
    std::string type; // "llama3" (also accepted: "linear")
    double factor = 1.0;
    double lowFreqFactor = 1.0;
    double highFreqFactor = 4.0;
    std::int64_t originalMaxPositions = 8192;
};

struct ModelConfig {
    std::string modelType = "llama"; // llama | mistral
    std::int64_t hiddenSize = 0;
    std::int64_t intermediateSize = 0;
    std::int64_t numLayers = 0;
    std::int64_t numHeads = 0;
    std::int64_t numKvHeads = 0;
    std::int64_t headDim = 0;
    std::int64_t vocabSize = 0;
    std::int64_t maxPositions = 2048;
    double rmsNormEps = 1e-5;
    double ropeTheta = 10000.0;
    std::optional<RopeScaling> ropeScaling;
    bool tieWordEmbeddings = false;
    // llama2.c rotates adjacent pairs (2i, 2i+1); Hugging Face rotates (i, i + headDim/2).
    bool rotaryInterleaved = false;
    std::string torchDtype = "float32";
    std::int64_t bosTokenId = 1;
    std::int64_t eosTokenId = 2;

    // Parses config.json text. Throws FormatError naming `source` for unknown
    // model_type, missing or inconsistent fields.
    static ModelConfig fromHfJson(const std::string& jsonText, const std::string& source);
    // Hugging Face config.json (rotaryInterleaved is not representable there).
    std::string toHfJson(int indent = 2) const;
    // Throws FormatError naming `source` when sizes are inconsistent.
    void validate(const std::string& source) const;
    // One line, e.g. "llama, 5 layers, hidden 64, 8 heads (4 kv), vocab 512".
    std::string summary() const;
};

} // namespace ol
