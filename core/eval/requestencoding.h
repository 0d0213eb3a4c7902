#pragma once
// A (context, continuation) request as token ids, the way a harness feeds it to the model.
#include <cstdint>
#include <string>
#include <vector>

namespace ol {

class Tokenizer;

enum class HarnessCompat {
    None,    // lm-evaluation-harness v0.4: trailing whitespace of the context moved to the continuation, the pair
             // encoded jointly and split (cont = tok(ctx + cont)[len(tok(ctx)):]), BOS as the tokenizer adds it
    DuQuant, // the v0.3 harness vendored by DuQuant/RUQuant: context and continuation encoded separately, no BOS
};
// "none" / "duquant"; throws UsageError naming `harness_compat`.
HarnessCompat harnessCompatFromName(const std::string& name);
const char* harnessCompatName(HarnessCompat compat);

struct EncodedRequest {
    std::vector<std::int32_t> context, continuation;
};

// An empty context becomes the BOS token (v0.4: the prefix token; v0.3: the end-of-text token, BOS when the
// tokenizer has none).
EncodedRequest encodeRequest(const Tokenizer& tokenizer, const std::string& context, const std::string& continuation,
                             HarnessCompat compat);

} // namespace ol
