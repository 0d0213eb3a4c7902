#include "quant/inputtransform.h"

#include <ATen/ATen.h>

namespace ol {

at::Tensor InputTransform::reflect(const at::Tensor& x, const at::Tensor& omega) {
    const auto w = omega.to(x.device(), x.scalar_type());
    const auto unit = w / w.norm();
    return x - 2 * at::matmul(x, unit).unsqueeze(-1) * unit;
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
