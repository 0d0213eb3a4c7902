#pragma once
// The keys and values of the positions a model has already seen, per layer, so that a forward over new tokens
// attends to them without recomputing them: generation one token at a time, and multiple-choice scoring where
// every choice continues one context computed once. The cache holds K and V as the attention uses them (after
// rotary and after the hook, so a quantized model's cache holds its quantized K/V, as a 4-bit KV cache would).
#include <ATen/core/Tensor.h>
#include <cstdint>
#include <functional>
#include <vector>

namespace ol {

struct KvCache {
    std::vector<at::Tensor> keys, values; // per layer [B, kvHeads, length, headDim]; undefined before the first forward
    std::int64_t length = 0;              // positions held
    at::Tensor valid;                     // bool [B, length]: false at left padding; undefined = all valid

    bool empty() const { return length == 0; }
    // Rows `rows` (int64 indices into the batch, repeats allowed): e.g. one copy of a context per choice.
    KvCache selectRows(const at::Tensor& rows) const;
};

// What one decoder layer reads and appends during a cached forward.
struct LayerCache {
    at::Tensor* keys = nullptr; // [B, kvHeads, offset, d] before, [B, kvHeads, offset + T, d] after
    at::Tensor* values = nullptr;
    std::int64_t offset = 0; // the new tokens' first position
    at::Tensor keyValid;     // bool [B, offset + T] or undefined (all valid)
};

// Runs `layers` decoder layers over h ([B, T, H], the new tokens; `valid`: bool [B, T], false at left padding,
// undefined = all valid) with the cache: `layer(i, h, &layerCache)` runs layer i. Grows the cache by T.
using CachedLayerStep = std::function<at::Tensor(int index, const at::Tensor& h, LayerCache* cache)>;
at::Tensor runCachedLayers(int layers, at::Tensor h, KvCache& cache, const at::Tensor& valid, const CachedLayerStep& layer);

} // namespace ol
