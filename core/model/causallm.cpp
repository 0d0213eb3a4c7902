#include "core/model/causallm.h"

#include "core/errors.h"

#include <ATen/ATen.h>

namespace ol {

at::Tensor nllOfLogits(const at::Tensor& logits, const at::Tensor& targets) {
    auto logp = at::log_softmax(logits, -1);
    return -logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1);
}

at::Tensor CausalLm::tokenNll(const at::Tensor& tokens) {
    const auto ids = tokens.to(device(), at::kLong);
    const auto T = ids.size(1);
    return nllOfLogits(logits(ids).narrow(1, 0, T - 1), ids.narrow(1, 1, T - 1));
}

at::Tensor CausalLm::logitsCached(const at::Tensor&, KvCache&, const at::Tensor&, std::int64_t) {
    throw UsageError("this model has no KV cache");
}

} // namespace ol
