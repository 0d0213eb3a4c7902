#pragma once
// RUQuant (algorithms.md §2): DuQuant's smoothing and R₁ → zigzag → R₂ chain
// with get_R block rotations, a global Householder reflection per linear
// input, the Q/K Hadamard, and optional learnable Householder training (--lh).
#include "core/quant/method.h"

namespace ol {

class RuQuantMethod : public QuantMethod {
public:
    explicit RuQuantMethod(nlohmann::json params);
    std::string name() const override { return "ruquant"; }
    nlohmann::json parameters() const override { return m_params; }
    void validate(const ModelConfig& config, const QuantSettings& settings) const override;
    void prepare(const LayerContext& ctx, QuantizedLayer& layer) const override;
    nlohmann::json prepareParameters() const override;
    SiteTransform transformFor(const LayerContext& ctx, Site site, const at::Tensor& x, SiteTransform placed) const override;
    bool rotatesQueryKey() const override { return m_params.at("qk_hadamard").get<bool>(); }
    bool searchesPerSite() const override { return true; }
    bool needsTraining(const QuantSettings& settings) const override;
    void train(const LayerContext& ctx, QuantizedLayer& layer, LayerQuantizer& q) const override;

private:
    std::uint64_t seedFor(const LayerContext& ctx, Site site) const;
    nlohmann::json m_params;
};

} // namespace ol
