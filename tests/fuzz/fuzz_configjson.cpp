// A Hugging Face config.json (ModelConfig::fromHfJson): an accepted config is
// consistent and survives its own round trip.
#include "fuzzsupport.h"

#include "core/model/modelconfig.h"

#include <optional>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    std::optional<ol::ModelConfig> config;
    olfuzz::expectTypedErrors([&] { config = ol::ModelConfig::fromHfJson(text, "config.json"); });
    if (!config) return 0;
    // Accepted: it must be valid, describable and read back what it writes.
    try {
        config->validate("config.json");
        (void)config->summary();
        const auto again = ol::ModelConfig::fromHfJson(config->toHfJson(), "round trip");
        olfuzz::require(again.hiddenSize == config->hiddenSize && again.numLayers == config->numLayers &&
                            again.numHeads == config->numHeads && again.numKvHeads == config->numKvHeads &&
                            again.vocabSize == config->vocabSize && again.headDim == config->headDim,
                        "config.json round trip keeps the shapes");
    } catch (const ol::Error& e) {
        olfuzz::require(false, e.what());
    }
    return 0;
}
