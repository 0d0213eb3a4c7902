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
    if (!rotation.isIdentity()) y = rotation.apply(y);
    return householder.defined() ? reflect(y, householder) : y;
}

at::Tensor InputTransform::applyToWeight(const at::Tensor& w) const {
    auto y = rotation.isIdentity() ? w : rotation.apply(w);
    return householder.defined() ? reflect(y, householder) : y;
}

} // namespace ol
