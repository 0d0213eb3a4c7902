#pragma once
// DuQuant (algorithms.md §1): smoothing, then per transform owner the greedy
// rotation → zigzag → rotation chain on the activation that reaches it, the
// Q/K Hadamard, and optional LWC training.
#include "core/quant/method.h"

namespace ol {

class DuQuantMethod : public QuantMethod {
public:
    explicit DuQuantMethod(nlohmann::json params);
    std::string name() const override { return "duquant"; }
    nlohmann::json parameters() const override { return m_params; }
    void validate(const ModelConfig& config, const QuantSettings& settings) const override;
    void prepare(const LayerContext& ctx, QuantizedLayer& layer) const override;
    nlohmann::json prepareParameters() const override;
    SiteTransform transformFor(const LayerContext& ctx, Site site, const at::Tensor& x, SiteTransform placed) const override;
    bool rotatesQueryKey() const override { return m_params.at("qk_hadamard").get<bool>(); }
    bool searchesPerSite() const override { return true; }
    bool drawsFromRunStream() const override;
    bool needsTraining(const QuantSettings& settings) const override;
    void train(const LayerContext& ctx, QuantizedLayer& layer, LayerQuantizer& q) const override;

private:
    nlohmann::json m_params;
};

} // namespace ol
