#include "model/modelconfig.h"

#include "errors.h"

#include <nlohmann/json.hpp>

namespace ol {

namespace {

using nlohmann::json;

std::int64_t requireInt(const json& j, const char* key, const std::string& source) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer())
        throw FormatError(source + ": config.json lacks integer field '" + key + "'");
    return it->get<std::int64_t>();
}

template <typename T> T optional(const json& j, const char* key, T fallback) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null())
        return fallback;
    return it->get<T>();
}

} // namespace

ModelConfig ModelConfig::fromHfJson(const std::string& jsonText, const std::string& source) {
    json j;
    try {
        j = json::parse(jsonText);
    } catch (const json::exception& e) {
        throw FormatError(source + ": config.json is not valid JSON: " + e.what());
    }
    if (!j.is_object())
        throw FormatError(source + ": config.json is not a JSON object");
    ModelConfig c;
    try {
        c.modelType = optional<std::string>(j, "model_type", "");
        if (c.modelType != "llama" && c.modelType != "mistral")
            throw FormatError(source + ": unsupported model_type '" + c.modelType +
                              "' (supported: llama, mistral)");
        c.hiddenSize = requireInt(j, "hidden_size", source);
        c.intermediateSize = requireInt(j, "intermediate_size", source);
        c.numLayers = requireInt(j, "num_hidden_layers", source);
        c.numHeads = requireInt(j, "num_attention_heads", source);
        c.numKvHeads = optional<std::int64_t>(j, "num_key_value_heads", c.numHeads);
        c.headDim = optional<std::int64_t>(j, "head_dim", c.numHeads > 0 ? c.hiddenSize / c.numHeads : 0);
        c.vocabSize = requireInt(j, "vocab_size", source);
        c.maxPositions = optional<std::int64_t>(j, "max_position_embeddings", 2048);
        c.rmsNormEps = optional<double>(j, "rms_norm_eps", 1e-6);
        c.ropeTheta = optional<double>(j, "rope_theta", 10000.0);
        c.tieWordEmbeddings = optional<bool>(j, "tie_word_embeddings", false);
        c.torchDtype = optional<std::string>(j, "torch_dtype", "float32");
        if (j.contains("bos_token_id") && j["bos_token_id"].is_number_integer())
            c.bosTokenId = j["bos_token_id"].get<std::int64_t>();
        if (j.contains("eos_token_id") && j["eos_token_id"].is_number_integer())
            c.eosTokenId = j["eos_token_id"].get<std::int64_t>();
        if (auto it = j.find("rope_scaling"); it != j.end() && it->is_object()) {
            RopeScaling s;
            s.type = optional<std::string>(*it, "rope_type", optional<std::string>(*it, "type", ""));
            s.factor = optional<double>(*it, "factor", 1.0);
            s.lowFreqFactor = optional<double>(*it, "low_freq_factor", 1.0);
            s.highFreqFactor = optional<double>(*it, "high_freq_factor", 4.0);
            s.originalMaxPositions = optional<std::int64_t>(*it, "original_max_position_embeddings", 8192);
            if (s.type != "llama3" && s.type != "linear" && s.type != "default")
                throw FormatError(source + ": unsupported rope_scaling type '" + s.type +
                                  "' (supported: llama3, linear)");
            if (s.type != "default")
                c.ropeScaling = s;
        }
    } catch (const json::exception& e) {
        throw FormatError(source + ": config.json has a field of the wrong type: " + e.what());
    }
    c.validate(source);
    return c;
}

std::string ModelConfig::toHfJson(int indent) const {
    json j;
    j["architectures"] = {modelType == "mistral" ? "MistralForCausalLM" : "LlamaForCausalLM"};
    j["model_type"] = modelType;
    j["hidden_size"] = hiddenSize;
    j["intermediate_size"] = intermediateSize;
    j["num_hidden_layers"] = numLayers;
    j["num_attention_heads"] = numHeads;
    j["num_key_value_heads"] = numKvHeads;
    j["head_dim"] = headDim;
    j["vocab_size"] = vocabSize;
    j["max_position_embeddings"] = maxPositions;
    j["rms_norm_eps"] = rmsNormEps;
    j["rope_theta"] = ropeTheta;
    j["tie_word_embeddings"] = tieWordEmbeddings;
    j["torch_dtype"] = torchDtype;
    j["bos_token_id"] = bosTokenId;
    j["eos_token_id"] = eosTokenId;
    j["hidden_act"] = "silu";
    if (ropeScaling) {
        j["rope_scaling"] = {{"rope_type", ropeScaling->type},
                             {"factor", ropeScaling->factor},
                             {"low_freq_factor", ropeScaling->lowFreqFactor},
                             {"high_freq_factor", ropeScaling->highFreqFactor},
                             {"original_max_position_embeddings", ropeScaling->originalMaxPositions}};
    }
    return j.dump(indent);
}

void ModelConfig::validate(const std::string& source) const {
    auto fail = [&](const std::string& what) { throw FormatError(source + ": " + what); };
    if (hiddenSize <= 0 || intermediateSize <= 0 || numLayers <= 0 || numHeads <= 0 || vocabSize <= 0)
        fail("sizes must be positive (hidden " + std::to_string(hiddenSize) + ", intermediate " +
             std::to_string(intermediateSize) + ", layers " + std::to_string(numLayers) + ", heads " +
             std::to_string(numHeads) + ", vocab " + std::to_string(vocabSize) + ")");
    if (numKvHeads <= 0 || numHeads % numKvHeads != 0)
        fail("num_key_value_heads " + std::to_string(numKvHeads) + " does not divide num_attention_heads " +
             std::to_string(numHeads));
    if (headDim <= 0 || headDim % 2 != 0)
        fail("head_dim " + std::to_string(headDim) + " must be positive and even (rotary pairs)");
    if (maxPositions <= 0)
        fail("max_position_embeddings must be positive");
}

std::string ModelConfig::summary() const {
    return modelType + ", " + std::to_string(numLayers) + " layers, hidden " + std::to_string(hiddenSize) +
           ", intermediate " + std::to_string(intermediateSize) + ", " + std::to_string(numHeads) +
           " heads (" + std::to_string(numKvHeads) + " kv, dim " + std::to_string(headDim) + "), vocab " +
           std::to_string(vocabSize);
}

} // namespace ol
