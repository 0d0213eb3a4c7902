#include "core/model/decoderlayer.h"

#include "core/model/activationhook.h"
#include "core/model/attention.h"
#include "core/model/kvcache.h"
#include "core/model/layerweights.h"
#include "core/model/modelconfig.h"
#include "core/model/rotary.h"

#include <ATen/ATen.h>
#include <cmath>

namespace ol {

at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
    // In float32 whatever the model dtype, as Hugging Face does.
    auto xf = x.to(at::kFloat);
    auto normed = xf * at::rsqrt(xf.pow(2).mean(-1, true) + eps);
    return normed.to(x.scalar_type()) * weight;
}

at::Tensor decoderLayerForward(const LayerWeights& w, const ModelConfig& c, const at::Tensor& h, int layer, ActivationHook* hook,
                               LayerCache* cache) {
    auto tap = [&](Site site, const at::Tensor& x) { return hook ? hook->onActivation(layer, site, x) : x; };
    const std::int64_t B = h.size(0), T = h.size(1), hd = c.headDim;

    auto x = tap(Site::AttnInput, rmsNorm(h, w.inputNorm, c.rmsNormEps));
    auto q = at::linear(x, w.wq).view({B, T, c.numHeads, hd}).transpose(1, 2);
    auto k = at::linear(x, w.wk).view({B, T, c.numKvHeads, hd}).transpose(1, 2);
    auto v = at::linear(x, w.wv).view({B, T, c.numKvHeads, hd}).transpose(1, 2);
    const std::int64_t offset = cache ? cache->offset : 0;
    q = tap(Site::Query, applyRotary(q, c, offset));
    k = tap(Site::Key, applyRotary(k, c, offset));
    v = tap(Site::Value, v);

    at::Tensor attn;
    if (!cache) {
        attn = causalAttention(q, k, v);
    } else {
        if (cache->keys->defined()) {
            k = at::cat({*cache->keys, k}, 2);
            v = at::cat({*cache->values, v}, 2);
        }
        *cache->keys = k;
        *cache->values = v;
        // A first forward with nothing padded is a plain causal one: the same kernel as without a cache.
        attn = offset == 0 && !cache->keyValid.defined() ? causalAttention(q, k, v)
                                                         : cachedAttention(q, k, v, offset, cache->keyValid);
    }
    attn = attn.transpose(1, 2).reshape({B, T, c.numHeads * hd});
    attn = tap(Site::AttnOutput, attn);
    auto hidden = h + at::linear(attn, w.wo);

    auto m = tap(Site::MlpInput, rmsNorm(hidden, w.postNorm, c.rmsNormEps));
    auto act = at::silu(at::linear(m, w.wGate)) * at::linear(m, w.wUp);
    act = tap(Site::DownInput, act);
    return hidden + at::linear(act, w.wDown);
}

} // namespace ol
