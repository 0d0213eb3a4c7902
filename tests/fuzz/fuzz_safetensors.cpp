// The safetensors header and data layout (SafetensorsReader): whatever the
// file claims, every accepted entry must lie inside the file and load.
#include "fuzzsupport.h"

#include "core/io/safetensors.h"

#include <ATen/ATen.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = olfuzz::writeFile("model.safetensors", data, size);
    olfuzz::expectTypedErrors([&] {
        const ol::SafetensorsReader reader(path);
        for (const auto& entry : reader.entries()) {
            olfuzz::require(entry.begin <= entry.end && entry.end <= size, "an accepted entry lies inside the file");
            olfuzz::require(reader.find(entry.name) == &entry, "find() returns the listed entry");
            const auto bytes = reader.rawBytes(entry);
            olfuzz::require(bytes.size() == entry.end - entry.begin, "rawBytes covers the entry");
            const at::Tensor t = reader.load(entry);
            olfuzz::require(t.numel() == entry.numel(), "a loaded tensor has the declared size");
        }
    });
    return 0;
}
