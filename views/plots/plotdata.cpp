#include "views/plots/plotdata.h"

#include <ATen/ATen.h>
#include <cmath>

namespace olv {

std::vector<float> toFloatVector(const at::Tensor& t) {
    if (!t.defined()) return {};
    auto c = t.detach().to(at::kCPU).to(at::kFloat).contiguous().flatten();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

QVector<double> toQVector(const at::Tensor& t) { return toQVector(toFloatVector(t)); }

QVector<double> toQVector(const std::vector<float>& v) {
    QVector<double> out(static_cast<qsizetype>(v.size()));
    for (std::size_t i = 0; i < v.size(); ++i) out[static_cast<qsizetype>(i)] = v[i];
    return out;
}

QVector<double> iota(int n, double start) {
    QVector<double> out(n);
    for (int i = 0; i < n; ++i) out[i] = start + i;
    return out;
}

QString formatValue(double v) {
    if (std::isinf(v)) return v > 0 ? QStringLiteral("∞") : QStringLiteral("−∞");
    if (std::isnan(v)) return QStringLiteral("–");
    const double a = std::abs(v);
    if (a != 0 && (a >= 1e5 || a < 1e-3)) return QString::number(v, 'e', 3);
    return QString::number(v, 'g', 4);
}

} // namespace olv
