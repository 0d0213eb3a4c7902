#include "core/quant/rotationprototypes.h"

#include "core/errors.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <cmath>
#include <string>
#include <vector>

namespace ol {

at::Tensor helmertPrototype(std::int64_t n) {
    if (n < 1) throw UsageError("helmertPrototype: size must be >= 1, got " + std::to_string(n));
    // R = G_{n-2} ··· G_0 · I, each G a Givens rotation in plane (i, i+1): only rows i and i+1 change.
    std::vector<double> r(static_cast<std::size_t>(n * n), 0.0);
    for (std::int64_t i = 0; i < n; ++i) r[i * n + i] = 1.0;
    for (std::int64_t i = 0; i + 1 < n; ++i) {
        const double c = 1.0 / std::sqrt(double(i + 2)), s = std::sqrt(double(i + 1)) / std::sqrt(double(i + 2));
        double* a = &r[i * n];
        double* b = &r[(i + 1) * n];
        for (std::int64_t j = 0; j < n; ++j) {
            const double x = a[j], y = b[j];
            a[j] = c * x - s * y;
            b[j] = s * x + c * y;
        }
    }
    auto t = at::from_blob(r.data(), {n, n}, at::kDouble).clone();
    if (n > 1) {
        auto p = at::arange(n, at::kLong);
        p[0] = n - 1;
        p[n - 1] = 0;
        t = t.index_select(0, p).index_select(1, p);
    }
    return t;
}

at::Tensor randomOrthogonal(std::int64_t n, std::uint64_t seed) {
    if (n < 0) throw UsageError("randomOrthogonal: size must be >= 0, got " + std::to_string(n));
    if (n == 0) return at::empty({0, 0}, at::kDouble);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    // float32 draw: the same numbers torch.randn(n, n) gives after torch.manual_seed(seed).
    const auto g = at::randn({n, n}, gen, at::TensorOptions().dtype(at::kFloat));
    return std::get<0>(at::linalg_qr(g.to(at::kDouble)));
}

at::Tensor normalizedHadamard(std::int64_t n) {
    if (n < 1 || (n & (n - 1)) != 0)
        throw UsageError("normalizedHadamard: size must be a power of two, got " + std::to_string(n));
    auto h = at::ones({1, 1}, at::kDouble);
    while (h.size(0) < n) h = at::cat({at::cat({h, h}, 1), at::cat({h, -h}, 1)}, 0);
    return h / std::sqrt(double(n));
}

} // namespace ol
