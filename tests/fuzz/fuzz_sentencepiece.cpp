// A tokenizer.model (SentencePieceTokenizer): malformed files are refused with a message; an
// accepted one tokenizes any text into ids inside its vocabulary.
#include "tokenizerfuzz.h"

#include "core/model/sentencepiecetokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = olfuzz::writeFile("tokenizer.model", data, size);
    olfuzz::expectTypedErrors([&] {
        const ol::SentencePieceTokenizer tokenizer(path);
        olfuzz::exerciseTokenizer(tokenizer);
    });
    return 0;
}
