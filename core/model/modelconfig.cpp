#include "core/model/modelconfig.h"

#include "core/errors.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdint>
#include <type_traits>

namespace ol {

namespace {

using nlohmann::json;

const char* typeName(const json& v) {
    if (v.is_boolean()) return "a boolean";
    if (v.is_number()) return "a number";
    if (v.is_string()) return "a string";
    if (v.is_array()) return "an array";
    if (v.is_object()) return "an object";
    return "null";
}

std::int64_t requireInt(const json& j, const char* key, const std::string& source) {
    auto it = j.find(key);
    if (it == j.end()) throw FormatError(source + ": config.json lacks integer field '" + key + "'");
    if (!it->is_number_integer())
        throw FormatError(source + ": config.json field '" + key + "' is " + typeName(*it) + " (" + it->dump() +
                          "), expected an integer");
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > std::uint64_t(INT64_MAX))
        throw FormatError(source + ": config.json field '" + key + "' " + it->dump() + " is out of range");
    return it->get<std::int64_t>();
}

// A missing or null field gives `fallback`; a field of another JSON type is an error naming it.
template <typename T> T optional(const json& j, const char* key, T fallback, const std::string& source) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    const char* expected = nullptr;
    if constexpr (std::is_same_v<T, bool>) {
        if (!it->is_boolean()) expected = "true or false";
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (!it->is_string()) expected = "a string";
    } else if constexpr (std::is_integral_v<T>) {
        if (!it->is_number_integer() || (it->is_number_unsigned() && it->get<std::uint64_t>() > std::uint64_t(INT64_MAX)))
            expected = "an integer";
    } else {
        if (!it->is_number()) expected = "a number";
    }
    if (expected)
        throw FormatError(source + ": config.json field '" + key + "' is " + typeName(*it) + " (" + it->dump() + "), expected " +
                          expected);
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
    if (!j.is_object()) throw FormatError(source + ": config.json is not a JSON object");
    ModelConfig c;
    auto fail = [&](const std::string& what) { throw FormatError(source + ": config.json " + what); };
    c.modelType = optional<std::string>(j, "model_type", "", source);
    if (c.modelType != "llama" && c.modelType != "mistral")
        throw FormatError(source + ": unsupported model_type '" + c.modelType + "' (supported: llama, mistral)");
    c.hiddenSize = requireInt(j, "hidden_size", source);
    c.intermediateSize = requireInt(j, "intermediate_size", source);
    c.numLayers = requireInt(j, "num_hidden_layers", source);
    c.numHeads = requireInt(j, "num_attention_heads", source);
    c.numKvHeads = optional<std::int64_t>(j, "num_key_value_heads", c.numHeads, source);
    c.headDim = optional<std::int64_t>(j, "head_dim", c.numHeads > 0 ? c.hiddenSize / c.numHeads : 0, source);
    c.vocabSize = requireInt(j, "vocab_size", source);
    c.maxPositions = optional<std::int64_t>(j, "max_position_embeddings", 2048, source);
    c.rmsNormEps = optional<double>(j, "rms_norm_eps", 1e-6, source);
    c.ropeTheta = optional<double>(j, "rope_theta", 10000.0, source);
    c.tieWordEmbeddings = optional<bool>(j, "tie_word_embeddings", false, source);
    c.torchDtype = optional<std::string>(j, "torch_dtype", "float32", source);
    if (c.torchDtype != "float32" && c.torchDtype != "float16" && c.torchDtype != "bfloat16")
        fail("field 'torch_dtype' is '" + c.torchDtype + "' (supported: float32, float16, bfloat16)");
    // The decoder's MLP is SwiGLU; another activation would silently compute a different model.
    const auto act = optional<std::string>(j, "hidden_act", "silu", source);
    if (act != "silu" && act != "swish")
        fail("field 'hidden_act' is '" + act + "'; only silu is supported (the SwiGLU MLP of LLaMA and Mistral)");
    if (j.contains("bos_token_id") && j["bos_token_id"].is_number_integer()) c.bosTokenId = j["bos_token_id"].get<std::int64_t>();
    if (j.contains("eos_token_id") && j["eos_token_id"].is_number_integer()) c.eosTokenId = j["eos_token_id"].get<std::int64_t>();
    if (auto it = j.find("rope_scaling"); it != j.end() && !it->is_null()) {
        if (!it->is_object())
            fail("field 'rope_scaling' is " + std::string(typeName(*it)) + " (" + it->dump() +
                 "), expected an object with rope_type and factor, or null");
        const std::string where = source + " (rope_scaling)";
        RopeScaling r;
        r.type = optional<std::string>(*it, "rope_type", optional<std::string>(*it, "type", "", where), where);
        r.factor = optional<double>(*it, "factor", 1.0, where);
        r.lowFreqFactor = optional<double>(*it, "low_freq_factor", 1.0, where);
        r.highFreqFactor = optional<double>(*it, "high_freq_factor", 4.0, where);
        r.originalMaxPositions = optional<std::int64_t>(*it, "original_max_position_embeddings", 8192, where);
        if (r.type != "llama3" && r.type != "linear" && r.type != "default")
            throw FormatError(source + ": unsupported rope_scaling type '" + r.type + "' (supported: llama3, linear)");
        if (!std::isfinite(r.factor) || r.factor <= 0)
            fail("field 'rope_scaling.factor' must be a positive number (is " + std::to_string(r.factor) + ")");
        if (r.type != "default") c.ropeScaling = r;
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
             std::to_string(intermediateSize) + ", layers " + std::to_string(numLayers) + ", heads " + std::to_string(numHeads) +
             ", vocab " + std::to_string(vocabSize) + ")");
    if (numKvHeads <= 0 || numHeads % numKvHeads != 0)
        fail("num_key_value_heads " + std::to_string(numKvHeads) + " does not divide num_attention_heads " +
             std::to_string(numHeads));
    if (headDim <= 0 || headDim % 2 != 0)
        fail("head_dim " + std::to_string(headDim) + " must be positive and even (rotary pairs)");
    if (maxPositions <= 0) fail("max_position_embeddings must be positive");
    // Caught here rather than later as a "non-finite loss".
    if (!std::isfinite(ropeTheta) || ropeTheta <= 0)
        fail("rope_theta " + std::to_string(ropeTheta) + " must be a positive number");
    if (!std::isfinite(rmsNormEps) || rmsNormEps <= 0)
        fail("rms_norm_eps " + std::to_string(rmsNormEps) + " must be a positive number");
}

std::string ModelConfig::summary() const {
    return modelType + ", " + std::to_string(numLayers) + " layers, hidden " + std::to_string(hiddenSize) + ", intermediate " +
           std::to_string(intermediateSize) + ", " + std::to_string(numHeads) + " heads (" + std::to_string(numKvHeads) +
           " kv, dim " + std::to_string(headDim) + "), vocab " + std::to_string(vocabSize);
}

} // namespace ol
