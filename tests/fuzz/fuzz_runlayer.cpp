// One finished layer of a run directory (layers/layer-00000.h5, read by
// export and --resume through RunStore). The run.json beside it is a real one
// of the bundled model; the layer file is the input.
#include "fuzzsupport.h"

#include "core/model/checkpoint.h"
#include "core/quant/runstore.h"
#include "core/resources.h"

#include <ATen/ATen.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace {

const ol::ModelConfig& bundledConfig() {
    static const ol::ModelConfig config = ol::openCheckpoint(ol::bundledModelPath())->config();
    return config;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    std::ifstream in(OL_FUZZ_DIR "/fixtures/run.json");
    std::stringstream text;
    text << in.rdbuf();
    olfuzz::writeFile("run/run.json", text.str());
    (void)bundledConfig();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    olfuzz::writeFile("run/layers/layer-00000.h5", data, size);
    olfuzz::expectTypedErrors([&] {
        const auto store = ol::RunStore::open((olfuzz::scratchDir() / "run").string());
        olfuzz::require(store.completedLayers() == 1, "the layer file is found");
        (void)store.loadLayer(0, bundledConfig(), c10::Device(c10::kCPU));
        (void)store.loadReport(0).toJson();
        const at::Tensor carry = store.loadCarry(0);
        olfuzz::require(!carry.defined() || carry.size(-1) == bundledConfig().hiddenSize,
                        "the calibration carry has the model's hidden size");
    });
    return 0;
}
