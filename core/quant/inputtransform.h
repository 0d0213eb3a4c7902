#pragma once
// The online transform of one linear input, x → (x / s)·M·H, and its weight
// counterpart W → W·M·H (the ×s is folded into W before). M is DuQuant's
// rotation/permutation chain (identity for RTN and SmoothQuant), H an optional
// global Householder reflection I − 2ω̂ω̂ᵀ (RUQuant). Both are orthogonal, so
// (x/s·M·H)(W·diag(s)·M·H)ᵀ = x·Wᵀ exactly. RPTQ adds a channel reorder P
// (a permutation, also orthogonal) applied before M, and the cluster layout
// of the reordered channels (its activation and weight quantization groups).
#include "quant/duquanttransform.h"

namespace ol {

struct InputTransform {
    at::Tensor divisor;          // [C] online smoothing (o_proj of GQA models), undefined when folded upstream
    DuQuantTransform rotation;   // empty = identity
    at::Tensor householder;      // ω [C] (any norm), undefined = none; applied after the rotation
    at::Tensor reorder;          // int64 [C], order[new] = old (RPTQ R1/R4), undefined = none; applied after the divisor
    at::Tensor clusterSizes;     // int64 [G], channel clusters of the transformed input (RPTQ), undefined = none:
                                 // the consumers' weights are quantized per (row, cluster)

    bool isIdentity() const { return !divisor.defined() && !reorder.defined() && rotation.isIdentity() && !householder.defined(); }
    at::Tensor applyToActivation(const at::Tensor& x) const;
    at::Tensor applyToWeight(const at::Tensor& w) const; // on the Cin axis (last dim); s already folded
    // x − 2(x·ω̂)ω̂ᵀ on the last dim (differentiable in ω).
    static at::Tensor reflect(const at::Tensor& x, const at::Tensor& omega);
};

} // namespace ol
