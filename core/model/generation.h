#pragma once
// Autoregressive generation: greedy, or sampled with temperature and nucleus (top-p) filtering from a seeded
// generator, stopping at the end-of-sequence token, a stop string, the token budget or the model's context.
// With the KV cache each step runs one token; without it every step recomputes the whole sequence (kept to
// check the cache against and to measure what it saves).
#include <cstdint>
#include <string>
#include <vector>

namespace ol {

class CausalLm;
class Tokenizer;
class Progress;

struct GenerationOptions {
    std::int64_t maxNewTokens = 256;
    double temperature = 0; // below 1e-4: greedy (as FastChat decides do_sample)
    double topP = 1.0;      // keep the smallest set of tokens whose probability reaches top_p
    std::uint64_t seed = 0;
    std::vector<std::string> stopStrings;
    bool stopAtEos = true;
    bool useCache = true;
    std::int64_t contextLength = 2048; // the model's max_position_embeddings: prompt + output never exceed it
};

struct GenerationResult {
    std::vector<std::int32_t> tokens; // generated tokens (without the prompt)
    std::string text;                 // their text, cut before a stop string
    std::string stopReason;           // "eos", "stop string", "max_new_tokens", "context"
    std::int64_t promptTokens = 0;
    double seconds = 0;
};

bool isGreedy(const GenerationOptions& options);

// `prompt` token ids (BOS included as the caller wants it); UsageError for an empty prompt, one that fills the
// context, or bad options (naming `temperature`, `top_p`, `max_new_tokens`).
GenerationResult generate(CausalLm& model, const Tokenizer& tokenizer, const std::vector<std::int32_t>& prompt,
                          const GenerationOptions& options, Progress* progress = nullptr);

// The next token from last-position logits [vocab] (float), as generate() draws it; `uniform` in [0, 1).
// Exposed for tests: greedy is the argmax; sampling inverts the cumulative distribution of the kept tokens.
std::int32_t pickToken(const std::vector<float>& logits, const GenerationOptions& options, double uniform);

} // namespace ol
