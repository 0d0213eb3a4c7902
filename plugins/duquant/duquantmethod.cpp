#include "plugins/duquant/duquantmethod.h"

#include "core/errors.h"
#include "core/model/modelconfig.h"
#include "core/quant/duquanttransform.h"
#include "core/quant/layerquantizer.h"
#include "core/quant/lwctrainer.h"
#include "core/quant/methodsupport.h"
#include "core/quant/quantizedlayer.h"

#include <algorithm>

namespace ol {

DuQuantMethod::DuQuantMethod(nlohmann::json params) : m_params(std::move(params)) {}

void DuQuantMethod::validate(const ModelConfig& c, const QuantSettings&) const {
    checkRotationFits(c, m_params.at("block_size").get<std::int64_t>(), rotatesQueryKey());
}

nlohmann::json DuQuantMethod::prepareParameters() const { return smoothingParameters(m_params); }

void DuQuantMethod::prepare(const LayerContext& ctx, QuantizedLayer& layer) const {
    if (!m_params.at("smooth").get<bool>()) return;
    foldSmoothing(ctx, layer, m_params.at("alpha").get<double>());
}

SiteTransform DuQuantMethod::transformFor(const LayerContext& ctx, Site site, const at::Tensor& x, SiteTransform placed) const {
    DuQuantTransformOptions o;
    o.rotation.blockSize = m_params.at("block_size").get<std::int64_t>();
    o.rotation.maxSteps = m_params.at("max_rotation_step").get<int>();
    o.rotation.referenceCompat = m_params.at("reference_compat").get<bool>();
    o.rotation.seed = siteSeed(ctx.seed, ctx.layer, site);
    if (drawsFromRunStream()) o.rotation.stream = ctx.rotationStream; // null in the preview: per-site seeds
    o.rotation.memo = ctx.searchMemo;                                 // the preview's: a repeated search is reused
    o.permutationTimes = m_params.at("permutation_times").get<int>();
    placed.append(calibrateDuQuantTransform(placed.applyToActivation(x), o, ctx.progress));
    return placed;
}

bool DuQuantMethod::drawsFromRunStream() const { return m_params.at("reference_compat").get<bool>(); }

bool DuQuantMethod::needsTraining(const QuantSettings& s) const {
    // As the reference: static clipping (--swc) takes precedence and the LWC factors would be ignored.
    return m_params.at("lwc").get<bool>() && m_params.at("epochs").get<int>() > 0 && s.swc == 1.0 && s.wbits < 16;
}

void DuQuantMethod::train(const LayerContext& ctx, QuantizedLayer&, LayerQuantizer& q) const {
    LwcOptions o;
    o.epochs = m_params.at("epochs").get<int>();
    o.lr = m_params.at("lwc_lr").get<double>();
    o.weightDecay = m_params.at("wd").get<double>();
    q.report().trainLoss = trainLwc(q, o, ctx.progress);
}

} // namespace ol
