// A llama2.c checkpoint (Llama2cCheckpoint: the 7-int32 header, then the
// float32 weights): an accepted file's tensors all lie inside it and load.
#include "fuzzsupport.h"

#include "core/model/llama2ccheckpoint.h"

#include <ATen/ATen.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = olfuzz::writeFile("model.bin", data, size);
    olfuzz::expectTypedErrors([&] {
        const ol::Llama2cCheckpoint model(path);
        model.config().validate(path);
        for (const auto& meta : model.tensors()) {
            const auto bytes = model.rawBytes(meta.name);
            olfuzz::require(bytes.size() <= size, "a tensor lies inside the file");
            const at::Tensor t = model.tensor(meta.name);
            olfuzz::require(static_cast<std::size_t>(t.nbytes()) <= size, "a loaded tensor fits in the file");
        }
    });
    return 0;
}
