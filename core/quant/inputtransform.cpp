#include "quant/inputtransform.h"

#include <ATen/ATen.h>

namespace ol {

at::Tensor InputTransform::applyToActivation(const at::Tensor& x) const {
    auto y = divisor.defined() ? x / divisor.to(x.device(), x.scalar_type()) : x;
    return rotation.isIdentity() ? y : rotation.apply(y);
}

at::Tensor InputTransform::applyToWeight(const at::Tensor& w) const {
    return rotation.isIdentity() ? w : rotation.apply(w);
}

} // namespace ol
