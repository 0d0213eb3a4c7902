#pragma once
// Tensor → QVector conversions for plots (CPU tensors of any float type).
#include <ATen/core/Tensor.h>
#include <QVector>
#include <vector>

namespace olv {

QVector<double> toQVector(const at::Tensor& t);
std::vector<float> toFloatVector(const at::Tensor& t);
QVector<double> toQVector(const std::vector<float>& v);
QVector<double> iota(int n, double start = 0);
// A value formatted for read-outs: 4 significant digits, scientific when very large or small.
QString formatValue(double v);

} // namespace olv
