#include "evalmodel.h"

#include "core/errors.h"
#include "core/model/checkpoint.h"
#include "core/model/llamamodel.h"
#include "core/model/tokenizer.h"
#include "core/quant/quantexport.h"
#include "core/quant/quantizedmodel.h"

namespace ol::cli {

EvalModel openEvalModelFiles(const Flags& f, c10::Device device) {
    EvalModel m;
    m.quantized = f.given("model") && isQuantizedExport(f.str("model"));
    if (m.quantized) {
        auto exported = openQuantizedExport(f.str("model"), device);
        const auto tok = f.given("tokenizer") ? f.str("tokenizer") : exported.checkpoint->tokenizerPath();
        if (tok.empty()) throw UsageError(f.str("model") + ": no tokenizer in the export; pass --tokenizer");
        m.bundle = {exported.checkpoint, loadTokenizer(tok)};
        m.quantizationConfig = exported.quantizationConfig;
        m.loader = exported.loadLayer;
    } else {
        m.bundle = openModel(f.str("model"), f.str("tokenizer"));
    }
    return m;
}

void loadEvalModel(EvalModel& m, c10::Device device, c10::ScalarType dtype) {
    if (m.quantized)
        m.model = std::make_unique<QuantizedModel>(m.bundle.checkpoint, device, m.loader, dtype);
    else
        m.model = std::make_unique<LlamaModel>(m.bundle.checkpoint, device, dtype);
}

} // namespace ol::cli
