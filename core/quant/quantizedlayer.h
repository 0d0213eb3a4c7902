#pragma once
// One decoder layer after quantization: the weights the forward multiplies
// (smoothed, transformed, fake-quantized), the integer form of each weight for
// export, and the online work on activations (transforms, bit widths).
#include "core/model/activationhook.h"
#include "core/model/layerweights.h"
#include "core/quant/clusterquant.h"
#include "core/quant/quantizer.h"
#include "core/quant/sitetransform.h"

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ol {

// The seven linear modules in a fixed order, with the linear-input site each reads.
const std::vector<std::string>& linearModules();
Site inputSiteOf(const std::string& module);
// Index 0..3 of a linear-input site (AttnInput, AttnOutput, MlpInput, DownInput).
int linearInputIndex(Site site);
constexpr std::array<Site, 4> kLinearInputs = {Site::AttnInput, Site::AttnOutput, Site::MlpInput, Site::DownInput};
// Modules that consume a linear-input site ("attn_in" → q, k, v).
std::vector<std::string> consumersOf(Site site);

struct QuantizedWeight {
    QuantSpec spec;
    at::Tensor codes;         // uint8 [Cout, Cin] when quantized
    QuantParams params;       // scale/zero [Cout, groups]
    at::Tensor lwcUp, lwcLow; // learned clipping factors when LWC ran
    at::Tensor groupSizes;    // int64 [G]: variable groups along Cin (RPTQ clusters), params [Cout, G]; undefined = spec's groups
    at::Tensor dequantized() const; // the float weight the forward multiplies
};

struct QuantizedLayer {
    int index = 0;
    LayerWeights weights;                             // what the forward multiplies
    std::array<SiteTransform, 4> inputs;              // by linearInputIndex: steps and quantization layout
    std::map<std::string, QuantizedWeight> quantized; // module → integer form (absent at 16 bits)
    std::map<std::string, at::Tensor> smoothing;      // pair → scale (report/export)
    QuantSpec activation, queryKey, value;            // online activation quantizers
    bool queryKeyHadamard = false;                    // Q and K rotated by a head_dim Hadamard before quantization
    // Static quantizers of Q, K and V by Site (RPTQ); unset: the dynamic specs above. (A linear input's
    // static quantizer is part of its SiteTransform.)
    std::array<StaticQuant, kSiteCount> staticQuant;
    // int64 [kvHeads, headDim]: Q and K channels reordered inside each head after rotary (RPTQ R2; query head h
    // uses the order of its kv head); the same order on both sides keeps Q·Kᵀ exact. Undefined = none.
    at::Tensor queryKeyOrder;

    SiteTransform& input(Site s) { return inputs[linearInputIndex(s)]; }
    const SiteTransform& input(Site s) const { return inputs[linearInputIndex(s)]; }
};

// A consumer's transformed weight W·M quantized as its site's layout says: per (row, input cluster) when the
// site has clusters, else by `spec` (groups, LWC factors). With `integerForm` at ≤ 8 bits also the integer
// form, and the forward weight is then exactly what a reload of it gives (bit-identical resume and export);
// otherwise a differentiable fake quantization (LWC training). The pipeline and the preview both use it.
struct SiteWeight {
    at::Tensor forward;                     // what the forward multiplies
    std::optional<QuantizedWeight> integer; // when kept
};
SiteWeight quantizeSiteWeight(const at::Tensor& transformed, const QuantSpec& spec, const SiteTransform& site,
                              const LwcFactors& lwc, bool integerForm);

// Layer `index` of a quantized model (from a run store, an export, a vector),
// so that layers can stream instead of all being held.
using QuantizedLayerLoader = std::function<QuantizedLayer(int index)>;
// A loader over layers held in memory.
QuantizedLayerLoader loaderOf(const std::vector<QuantizedLayer>& layers);

// Applies a layer's online activation work at each hook site (inference).
// Transforms and quantizers of layers absent from the map pass through.
class QuantizedActivationHook : public ActivationHook {
public:
    void setLayer(int index, const QuantizedLayer* layer);
    at::Tensor onActivation(int layer, Site site, const at::Tensor& x) override;
    // The work of one site of one layer (shared with the calibration forward).
    static at::Tensor process(const QuantizedLayer& layer, Site site, const at::Tensor& x);
    // A linear input's work: its transform, then its quantizer. `transformed`, when given, receives the
    // activation between the two (the calibration's report compares them).
    static at::Tensor quantizeLinearInput(const QuantizedLayer& layer, Site site, const at::Tensor& x,
                                          at::Tensor* transformed = nullptr);

private:
    std::vector<const QuantizedLayer*> m_layers;
};

} // namespace ol
