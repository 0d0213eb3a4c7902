#pragma once
// Quantizes one decoder layer with a method: smoothing fold, the calibration
// forward in which each linear input's transform is computed from the
// activation that reaches it (as the reference does: later sites see the
// outputs of already-quantized earlier linears), weight quantization, and a
// report of the quantization error before and after the transform.
#include "core/quant/method.h"
#include "core/quant/quantizedlayer.h"

#include <map>
#include <string>
#include <vector>

namespace ol {

struct SiteReport {
    Site site;
    QuantError before, after; // activation error without any transform vs with smoothing + transform
};
struct WeightReport {
    std::string module;
    // Weight error of the FP weight (quantized only for this report) and of the transformed weight, both
    // over the same beforeRows evenly spaced rows of `rows`: each row is quantized on its own, so the
    // sample's MSE and SQNR estimate the whole weight's without bias, and max_abs is the sample's.
    QuantError before, after;
    std::int64_t beforeRows = 0, rows = 0;
};
struct StageSeconds {
    double prepare = 0, transform = 0, weights = 0, train = 0, forward = 0, save = 0;
    double reports = 0; // the error reports, part of `weights`
    double total() const { return prepare + transform + weights + train + forward + save; }
};
struct LayerReport {
    int layer = 0;
    std::vector<SiteReport> sites;
    std::vector<WeightReport> weights;
    StageSeconds seconds;
    double trainLoss = -1;                   // final LWC loss when trained
    std::vector<std::int64_t> rotationDraws; // sizes drawn from the run's RotationStream (replayed on resume)
    nlohmann::json toJson() const;
    static LayerReport fromJson(const nlohmann::json& j);
};

// The smoothing pair ("qkv", "out", "fc1", "down") whose scale divides a linear input.
const char* smoothingPair(Site site);

class LayerQuantizer {
public:
    LayerQuantizer(const QuantMethod& method, const LayerContext& context, const LayerWeights& fp);

    // Runs the calibration forward on `input` [1, T, H]; returns the quantized layer's output.
    at::Tensor calibrate(const at::Tensor& input);
    // Re-quantizes every weight from its transformed form, with LWC factors where given (differentiable
    // when the factors require grad); updates layer().weights and the integer forms.
    void quantizeWeights(const std::map<std::string, LwcFactors>& lwc = {}, bool keepIntegerForm = true);
    // The quantized layer's forward (activation quantization on) on any [B, T, H].
    at::Tensor forward(const at::Tensor& input) const;
    const at::Tensor& transformedWeight(const std::string& module) const { return m_transformed.at(module); }
    // Recomputes every transformed weight from W·diag(s)·M and the current transforms (after a trainable
    // transform part, e.g. a Householder vector, changed; differentiable).
    void refreshTransformedWeights();
    const LayerContext& context() const { return m_context; }
    QuantizedLayer& layer() { return m_layer; }
    LayerReport& report() { return m_report; }

private:
    friend class CalibratingHook;
    at::Tensor onSite(Site site, const at::Tensor& x);
    void quantizeModule(const std::string& module, const LwcFactors& lwc, bool keepIntegerForm);

    const QuantMethod& m_method;
    LayerContext m_context;
    std::map<std::string, at::Tensor> m_reportRows;   // the reported rows' indices (undefined: every row)
    std::map<std::string, at::Tensor> m_fpReportRows; // those rows of each FP weight
    QuantizedLayer m_layer;
    LayerReport m_report;
    std::map<std::string, at::Tensor> m_rotated;     // W·diag(s) (smoothing folded), before the site transform
    std::map<std::string, at::Tensor> m_transformed; // W·diag(s)·M(·H) before quantization
    std::map<int, bool> m_done;
};

} // namespace ol
