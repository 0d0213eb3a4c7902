// model.safetensors.index.json of a Hugging Face directory (HfCheckpoint). The
// directory holds a real two-shard model of tiny shapes; a third valid shard
// sits outside it. Whatever the index names, an accepted model reads only its
// own shards: a tensor from the outside file (all 7s) is a finding.
#include "fuzzsupport.h"

#include "core/io/safetensors.h"
#include "core/model/checkpoint.h"
#include "core/model/hfcheckpoint.h"

#include <ATen/ATen.h>

namespace {

const char* kConfig = R"({"model_type": "llama", "hidden_size": 8, "intermediate_size": 16,
  "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 2, "vocab_size": 16,
  "max_position_embeddings": 32, "rms_norm_eps": 1e-5, "torch_dtype": "float32"})";

void writeShards() {
    olfuzz::writeFile("model/config.json", kConfig);
    const auto config = ol::ModelConfig::fromHfJson(kConfig, "config.json");
    std::vector<std::pair<std::string, at::Tensor>> first, second, outside;
    for (const auto& meta : ol::expectedTensors(config)) {
        const bool inFirst = meta.name.rfind("model.layers.", 0) == 0 || meta.name == ol::names::embedTokens;
        (inFirst ? first : second).emplace_back(meta.name, at::ones(meta.shape));
        outside.emplace_back(meta.name, at::full(meta.shape, 7.0));
    }
    const auto dir = olfuzz::scratchDir();
    ol::saveSafetensors((dir / "model/model-00001-of-00002.safetensors").string(), first);
    ol::saveSafetensors((dir / "model/model-00002-of-00002.safetensors").string(), second);
    ol::saveSafetensors((dir / "outside.safetensors").string(), outside);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    writeShards();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    olfuzz::writeFile("model/model.safetensors.index.json", data, size);
    olfuzz::expectTypedErrors([&] {
        const ol::HfCheckpoint model((olfuzz::scratchDir() / "model").string());
        for (const auto& meta : model.tensors()) {
            const at::Tensor t = model.tensor(meta.name);
            olfuzz::require(!t.eq(7.0).any().item<bool>(), "an accepted index reads only shards inside the model directory");
        }
    });
    return 0;
}
