#include "core/model/kvcache.h"

#include <ATen/ATen.h>
#include <stdexcept>

namespace ol {

KvCache KvCache::selectRows(const at::Tensor& rows) const {
    KvCache out;
    out.length = length;
    auto pick = [&](const at::Tensor& t) { return t.defined() ? t.index_select(0, rows.to(t.device())) : t; };
    for (const auto& k : keys) out.keys.push_back(pick(k));
    for (const auto& v : values) out.values.push_back(pick(v));
    out.valid = pick(valid);
    return out;
}

at::Tensor runCachedLayers(int layers, at::Tensor h, KvCache& cache, const at::Tensor& valid, const CachedLayerStep& layer) {
    const std::int64_t B = h.size(0), T = h.size(1);
    if (!cache.empty() && cache.keys.size() != static_cast<std::size_t>(layers))
        throw std::invalid_argument("KV cache of another model");
    cache.keys.resize(layers);
    cache.values.resize(layers);
    at::Tensor keyValid;
    if (cache.valid.defined() || valid.defined()) {
        auto boolOpts = h.options().dtype(at::kBool);
        const auto past = cache.valid.defined() ? cache.valid.to(h.device()) : at::ones({B, cache.length}, boolOpts);
        const auto now = valid.defined() ? valid.to(boolOpts) : at::ones({B, T}, boolOpts);
        keyValid = at::cat({past, now}, 1);
    }
    for (int i = 0; i < layers; ++i) {
        LayerCache lc{&cache.keys[i], &cache.values[i], cache.length, keyValid};
        h = layer(i, h, &lc);
    }
    cache.length += T;
    cache.valid = keyValid;
    return h;
}

} // namespace ol
