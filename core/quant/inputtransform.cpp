#include "quant/inputtransform.h"

#include <ATen/ATen.h>

namespace ol {

at::Tensor InputTransform::reflect(const at::Tensor& x, const at::Tensor& omega) {
    const auto w = omega.to(x.device(), x.scalar_type());
    const auto unit = w / w.norm();
    // x·u as a row reduction, not a matrix-vector product: OpenBLAS's threaded sgemv rounds differently with its
    // thread count (RUQuant W4A4 7.3620 with 1 thread, 7.3793 with 2), torch's row sums do not.
    return x - 2 * (x * unit).sum(-1, true) * unit;
}

at::Tensor InputTransform::applyToActivation(const at::Tensor& x) const {
    auto y = divisor.defined() ? x / divisor.to(x.device(), x.scalar_type()) : x;
    if (reorder.defined()) y = y.index_select(-1, reorder.to(y.device()));
    if (!rotation.isIdentity()) y = rotation.apply(y);
    return householder.defined() ? reflect(y, householder) : y;
}

at::Tensor InputTransform::applyToWeight(const at::Tensor& w) const {
    auto y = reorder.defined() ? w.index_select(-1, reorder.to(w.device())) : w;
    if (!rotation.isIdentity()) y = rotation.apply(y);
    return householder.defined() ? reflect(y, householder) : y;
}

} // namespace ol
