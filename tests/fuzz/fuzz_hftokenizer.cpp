// A tokenizer.json (HfTokenizer): malformed files are refused with a message; an
// accepted one tokenizes any text into ids inside its vocabulary.
#include "tokenizerfuzz.h"

#include "core/model/hftokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = olfuzz::writeFile("tokenizer.json", data, size);
    olfuzz::expectTypedErrors([&] {
        const ol::HfTokenizer tokenizer(path);
        olfuzz::exerciseTokenizer(tokenizer);
    });
    return 0;
}
