#include "core/quant/rotationstream.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <utility>

namespace ol {

RotationStream::RotationStream(std::uint64_t seed) : m_generator(at::make_generator<at::CPUGeneratorImpl>(seed)) {}

at::Tensor RotationStream::randn(std::int64_t n) {
    m_log.push_back(n);
    return at::randn({n, n}, m_generator, at::TensorOptions().dtype(at::kFloat));
}

void RotationStream::replay(const std::vector<std::int64_t>& sizes) {
    for (const auto n : sizes) (void)randn(n);
    m_log.clear();
}

std::vector<std::int64_t> RotationStream::takeLog() { return std::exchange(m_log, {}); }

} // namespace ol
