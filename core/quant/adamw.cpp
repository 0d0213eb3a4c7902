#include "core/quant/adamw.h"

#include <ATen/ATen.h>
#include <cmath>

namespace ol {

AdamW::AdamW(std::vector<at::Tensor> params, double lr, double weightDecay)
    : m_params(std::move(params)), m_lr(lr), m_wd(weightDecay) {
    for (const auto& p : m_params) {
        m_m.push_back(at::zeros_like(p));
        m_v.push_back(at::zeros_like(p));
    }
}

void AdamW::step() {
    at::NoGradGuard noGrad;
    ++m_t;
    const double c1 = 1 - std::pow(0.9, m_t), c2 = 1 - std::pow(0.999, m_t);
    for (std::size_t i = 0; i < m_params.size(); ++i) {
        auto& p = m_params[i];
        const auto g = p.grad();
        if (!g.defined()) continue;
        if (m_wd != 0) p.mul_(1 - m_lr * m_wd);
        m_m[i].mul_(0.9).add_(g, 0.1);
        m_v[i].mul_(0.999).addcmul_(g, g, 0.001);
        p.addcdiv_(m_m[i] / c1, (m_v[i] / c2).sqrt_().add_(1e-8), -m_lr);
    }
}

void AdamW::zeroGrad() {
    for (auto& p : m_params)
        if (p.grad().defined()) p.mutable_grad() = at::Tensor();
}

} // namespace ol
