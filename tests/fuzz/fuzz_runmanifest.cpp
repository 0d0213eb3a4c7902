// run.json of a quantization run directory (RunStore::open, as export and
// --resume read it): an accepted manifest has the fields the readers use.
#include "fuzzsupport.h"

#include "core/quant/runstore.h"

#include <filesystem>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto path = olfuzz::writeFile("run/run.json", data, size);
    std::filesystem::create_directories(olfuzz::scratchDir() / "run/layers");
    olfuzz::expectTypedErrors([&] {
        const auto store = ol::RunStore::open((olfuzz::scratchDir() / "run").string());
        const auto& m = store.manifest();
        olfuzz::require(m.is_object() && m.contains("num_layers") && m["num_layers"].is_number_integer() &&
                            m["num_layers"].get<long long>() >= 1,
                        "an accepted run.json has a positive num_layers");
        olfuzz::require(m.contains("fingerprint") && m["fingerprint"].is_string(), "an accepted run.json has a fingerprint");
    });
    return 0;
}
