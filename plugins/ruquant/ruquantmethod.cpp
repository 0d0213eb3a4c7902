#include "plugins/ruquant/ruquantmethod.h"

#include "core/errors.h"
#include "core/model/modelconfig.h"
#include "core/progress.h"
#include "core/quant/layerquantizer.h"
#include "core/quant/lhtrainer.h"
#include "core/quant/methodsupport.h"
#include "core/quant/quantizedlayer.h"
#include "core/quant/ruquantrotation.h"

#include <algorithm>

namespace ol {

RuQuantMethod::RuQuantMethod(nlohmann::json params) : m_params(std::move(params)) {}

void RuQuantMethod::validate(const ModelConfig& c, const QuantSettings&) const {
    checkRotationFits(c, m_params.at("block_size").get<std::int64_t>(), rotatesQueryKey());
    if (m_params.at("lh").get<bool>() && !m_params.at("global_householder").get<bool>())
        throw UsageError("`lh` trains the global Householder vectors; it needs `global_householder`");
}

nlohmann::json RuQuantMethod::prepareParameters() const { return smoothingParameters(m_params); }

void RuQuantMethod::prepare(const LayerContext& ctx, QuantizedLayer& layer) const {
    if (!m_params.at("smooth").get<bool>()) return;
    foldSmoothing(ctx, layer, m_params.at("alpha").get<double>());
}

std::uint64_t RuQuantMethod::seedFor(const LayerContext& ctx, Site site) const {
    // The per-site seed keeps draws distinct per layer/site and independent of resume; ruquant_seed shifts them all.
    return siteSeed(ctx.seed, ctx.layer, site) + (m_params.at("ruquant_seed").get<std::uint64_t>() << 32);
}

SiteTransform RuQuantMethod::transformFor(const LayerContext& ctx, Site site, const at::Tensor& x, SiteTransform placed) const {
    RuQuantRotationOptions o;
    o.blockSize = m_params.at("block_size").get<std::int64_t>();
    o.maxSteps = m_params.at("max_rotation_step").get<int>();
    o.randomPermutationTimes = m_params.at("random_permutation_times").get<int>();
    o.referenceCompat = m_params.at("reference_compat").get<bool>();
    o.seed = seedFor(ctx, site);
    if (ctx.progress) ctx.progress->checkCancelled();
    const auto seen = placed.applyToActivation(x);
    const auto chain = calibrateRuQuantTransform(seen, o, m_params.at("permutation_times").get<int>());
    placed.append(chain);
    if (m_params.at("global_householder").get<bool>()) {
        // The global reflection is found on the activation after the block rotations; get_R calls used
        // seed + 0 .. 2T + 1, the global draw comes after them.
        const auto t = std::uint64_t(m_params.at("permutation_times").get<int>());
        const auto omega = globalHouseholderVector(chain.isIdentity() ? seen : chain.apply(seen), o.seed + 2 * (t + 1));
        if (omega.defined()) placed.steps.push_back(TransformStep::householder(omega));
    }
    return placed;
}

bool RuQuantMethod::needsTraining(const QuantSettings&) const {
    return m_params.at("lh").get<bool>() && m_params.at("epochs").get<int>() > 0;
}

void RuQuantMethod::train(const LayerContext& ctx, QuantizedLayer&, LayerQuantizer& q) const {
    LhOptions o;
    o.epochs = m_params.at("epochs").get<int>();
    o.lr = m_params.at("lh_lr").get<double>();
    q.report().trainLoss = trainLh(q, o, ctx.progress);
}

} // namespace ol
