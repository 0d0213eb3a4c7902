#pragma once
// torch.optim.AdamW's update (betas 0.9/0.999, eps 1e-8, decoupled weight
// decay) for the few small tensors trained here (LWC factors, Householder
// vectors), without pulling in <torch/optim.h>.
#include <ATen/core/Tensor.h>
#include <vector>

namespace ol {

class AdamW {
public:
    AdamW(std::vector<at::Tensor> params, double lr, double weightDecay = 0.0);
    void step(); // uses each parameter's .grad(); parameters without one are skipped
    void zeroGrad();

private:
    std::vector<at::Tensor> m_params, m_m, m_v;
    double m_lr, m_wd;
    int m_t = 0;
};

} // namespace ol
