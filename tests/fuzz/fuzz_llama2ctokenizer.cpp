// A tokenizer.bin (Llama2cTokenizer): malformed files are refused with a message; an
// accepted one tokenizes any text into ids inside its vocabulary.
#include "tokenizerfuzz.h"

#include "core/model/llama2ctokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = olfuzz::writeFile("tokenizer.bin", data, size);
    olfuzz::expectTypedErrors([&] {
        const ol::Llama2cTokenizer tokenizer(path);
        olfuzz::exerciseTokenizer(tokenizer);
    });
    return 0;
}
