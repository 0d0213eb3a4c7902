#pragma once
// The interface a quantization method implements (one per plugin). The
// pipeline hands a method one decoder layer at a time; the method folds what
// it folds (smoothing), returns the SiteTransform of each linear input from
// the activation that reaches it (the steps and the quantization layout), and
// may train (LWC). The shared machinery (applying the steps, weight
// quantization, the calibration forward, reports, files) stays in core and
// knows no method.
#include "core/model/activationhook.h"
#include "core/quant/methodinfo.h"
#include "core/quant/quantsettings.h"
#include "core/quant/sitetransform.h"
#include "core/quant/smoothing.h"

#include <cstdint>
#include <memory>

namespace ol {

class Progress;
struct ModelConfig;
struct QuantizedLayer;
class LayerQuantizer;
class RotationStream;
class GreedySearchMemo;

struct LayerContext {
    int layer = 0;
    const ModelConfig* config = nullptr;
    const QuantSettings* settings = nullptr;
    LayerActScales actScales; // FP calibration statistics of this layer's linear inputs
    std::uint64_t seed = 2;   // base seed of the run; methods derive per-site seeds from it
    // The run-wide random stream, only for a method that drawsFromRunStream() inside the pipeline (not the preview).
    RotationStream* rotationStream = nullptr;
    Progress* progress = nullptr;
    // The live preview's memo of greedy searches (null in the pipeline): a search repeated on the same input reuses it.
    GreedySearchMemo* searchMemo = nullptr;
    // Only when the method needs them (needsSampleInputs): the calibration samples as the quantized model so
    // far produces them [n, T, H]; when it trains, also the FP model's outputs of this layer for them (the targets).
    at::Tensor sampleInputs, sampleTargets;
};

class QuantMethod {
public:
    virtual ~QuantMethod() = default;
    virtual std::string name() const = 0;
    // Resolved parameters (defaults filled in), as stored with the run.
    virtual nlohmann::json parameters() const = 0;

    // Before the calibration forward: fold smoothing into layer.weights, place what is known before it
    // (online divisors, reorders, cluster layouts) in layer.inputs. Replace tensors (w = w * s), never edit
    // them in place: the preview hands in shared FP weights.
    virtual void prepare(const LayerContext&, QuantizedLayer&) const {}
    // The parameters prepare() reads (all of them unless a method says less): the preview reuses a prepared
    // layer while only other parameters change (a new max_rotation_step keeps the smoothing of the same alpha).
    virtual nlohmann::json prepareParameters() const { return parameters(); }
    // The calibration forward reached linear input `site` with x [N, C]; `placed` is what prepare() put
    // there. Returns the site's whole transform: `placed` plus the steps found on placed.applyToActivation(x).
    virtual SiteTransform transformFor(const LayerContext&, Site, const at::Tensor& x, SiteTransform placed) const {
        (void)x;
        return placed;
    }
    // Q and K rotated by a head_dim Hadamard before their quantization (cancels in Q·Kᵀ).
    virtual bool rotatesQueryKey() const { return false; }
    // True when transformFor() runs a search (greedy rotations, Householder/Givens) that takes seconds on a wide
    // input: the workbench then shows prepare()'s part first and the searched transform after (staged preview).
    virtual bool searchesPerSite() const { return false; }
    // Draws its random factors from one run-wide stream in calibration order, as the reference code's global
    // generator (DuQuant --reference_compat), instead of per-site seeds; a resume then replays the draws.
    virtual bool drawsFromRunStream() const { return false; }
    // Checks parameters against the model before any work (UsageError naming the flag).
    virtual void validate(const ModelConfig&, const QuantSettings&) const {}
    // Learnable weight clipping (or other training) needs per-sample inputs and FP targets.
    virtual bool needsTraining(const QuantSettings&) const { return false; }
    // After the calibration forward, with every weight transformed: train and re-quantize through `q`.
    virtual void train(const LayerContext&, QuantizedLayer&, LayerQuantizer&) const {}
    // Per-sample inputs without training (RPTQ's statistics and static activation scales); implied by training.
    virtual bool needsSampleInputs(const QuantSettings& s) const { return needsTraining(s); }
    // Whether prepare/transformFor replace the weights by smoothed or transformed copies while a layer is
    // quantized (one more layer-sized set of tensors at the peak; the memory estimate counts it).
    virtual bool transformsWeights() const { return true; }
};

// A per-site seed that does not depend on which layers ran before (resume gives the same draws).
std::uint64_t siteSeed(std::uint64_t base, int layer, Site site);

} // namespace ol
