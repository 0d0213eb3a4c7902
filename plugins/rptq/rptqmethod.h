#pragma once
// RPTQ for LLaMA decoders (algorithms.md §3; docs/quantization.md "RPTQ"):
// per layer, the FP layer runs on the calibration samples (as the quantized
// model so far produces them) to collect per-channel max/min; channels are
// clustered by k-means at five sites and reordered where that is exact; the
// static per-cluster activation quantizers come from the EMA of the
// per-sample ranges; weights are quantized per (row, input cluster).
#include "core/quant/method.h"

namespace ol {

class RptqMethod : public QuantMethod {
public:
    explicit RptqMethod(nlohmann::json params);
    std::string name() const override { return "rptq"; }
    nlohmann::json parameters() const override { return m_params; }
    void validate(const ModelConfig& config, const QuantSettings& settings) const override;
    void prepare(const LayerContext& ctx, QuantizedLayer& layer) const override;
    SiteTransform transformFor(const LayerContext& ctx, Site site, const at::Tensor& x, SiteTransform placed) const override;
    bool needsSampleInputs(const QuantSettings&) const override { return true; }

private:
    bool reorders(char site) const;
    int linearBits(const QuantSettings& settings, Site site) const; // a linear input's static activation bits
    nlohmann::json m_params;
};

} // namespace ol
