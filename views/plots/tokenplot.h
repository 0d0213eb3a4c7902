#pragma once
// Per-token absmax of a site over the calibration tokens (window order), with
// the channel holding each token's maximum in the read-out: massive outliers
// show as a few tokens far above the rest.
#include "views/plots/plotwidget.h"

#include <ATen/core/Tensor.h>
#include <cstdint>

namespace olv {

class TokenPlot : public PlotWidget {
    Q_OBJECT
public:
    explicit TokenPlot(QWidget* parent = nullptr);
    void setData(const at::Tensor& tokenAbsmax, const at::Tensor& tokenArgmax, std::int64_t seqlen);
    void clear();
    QString csv() const override;

protected:
    QString hoverText(const QPoint& pixel) const override;

private:
    std::vector<float> m_absmax;
    std::vector<std::int64_t> m_argmax;
    std::int64_t m_seqlen = 0;
};

} // namespace olv
