#pragma once
// The online transform of one linear input, x → (x / s)·M, and its weight
// counterpart W → W·M (the ×s is folded into W before). M is DuQuant's
// rotation/permutation chain (identity for RTN and SmoothQuant). Because M is
// orthogonal, (x/s·M)(W·diag(s)·M)ᵀ = x·Wᵀ exactly.
#include "quant/duquanttransform.h"

namespace ol {

struct InputTransform {
    at::Tensor divisor;          // [C] online smoothing (o_proj of GQA models), undefined when folded upstream
    DuQuantTransform rotation;   // empty = identity

    bool isIdentity() const { return !divisor.defined() && rotation.isIdentity(); }
    at::Tensor applyToActivation(const at::Tensor& x) const;
    at::Tensor applyToWeight(const at::Tensor& w) const; // on the Cin axis (last dim); s already folded
};

} // namespace ol
