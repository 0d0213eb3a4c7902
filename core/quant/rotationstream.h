#pragma once
// DuQuant's reference draws every random orthogonal factor from the one global
// torch CPU generator, seeded once before the layer loop: per layer, per linear
// input in calibration order (q/k/v, o, gate/up, down), per greedy search, one
// randn(bs−1, bs−1) — the generator's state (including its cached normal) carried
// on. Under --reference_compat a run draws from one RotationStream the same way.
// Each draw's size is logged so that a resumed run can replay the finished layers'
// draws and continue the stream exactly where the interrupted run stood.
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>
#include <cstdint>
#include <vector>

namespace ol {

class RotationStream {
public:
    explicit RotationStream(std::uint64_t seed);

    // float32 [n, n] standard normal, exactly torch.randn(n, n) at this point of the stream.
    at::Tensor randn(std::int64_t n);
    // Repeats draws of these sizes (a finished layer's log), discarding the values.
    void replay(const std::vector<std::int64_t>& sizes);
    // The sizes drawn since the previous call (one layer's log).
    std::vector<std::int64_t> takeLog();

private:
    at::Generator m_generator;
    std::vector<std::int64_t> m_log;
};

} // namespace ol
