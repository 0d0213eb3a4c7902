#include "core/model/rotary.h"

#include "core/model/modelconfig.h"

#include <ATen/ATen.h>
#include <cmath>

namespace ol {

at::Tensor rotaryInverseFrequencies(const ModelConfig& c) {
    const std::int64_t half = c.headDim / 2;
    auto inv = at::empty({half}, at::kDouble);
    auto* p = inv.data_ptr<double>();
    for (std::int64_t i = 0; i < half; ++i)
        p[i] = 1.0 / std::pow(c.ropeTheta, static_cast<double>(2 * i) / static_cast<double>(c.headDim));
    if (c.ropeScaling && c.ropeScaling->type == "linear") {
        inv /= c.ropeScaling->factor;
    } else if (c.ropeScaling && c.ropeScaling->type == "llama3") {
        // Llama 3.1: keep high frequencies, divide low ones by `factor`, blend between.
        const auto& s = *c.ropeScaling;
        const double old = static_cast<double>(s.originalMaxPositions);
        const double lowWavelen = old / s.lowFreqFactor, highWavelen = old / s.highFreqFactor;
        for (std::int64_t i = 0; i < half; ++i) {
            const double wavelen = 2.0 * M_PI / p[i];
            if (wavelen < highWavelen) continue;
            if (wavelen > lowWavelen) {
                p[i] /= s.factor;
            } else {
                const double smooth = (old / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
                p[i] = (1.0 - smooth) * p[i] / s.factor + smooth * p[i];
            }
        }
    }
    return inv;
}

namespace {

// cos and sin of the angles [T, half]: the same for every layer, query and key of a forward, so the last
// ones computed are kept (per thread) while T, the frequencies and the device stay the same.
struct RotaryTables {
    std::int64_t positions = -1;
    at::Tensor inverseFrequencies; // float64, compared by value
    c10::Device device = c10::Device(c10::kCPU);
    at::Tensor cos, sin;
};

const RotaryTables& rotaryTables(std::int64_t T, const ModelConfig& c, c10::Device device) {
    thread_local RotaryTables tables;
    const auto inv = rotaryInverseFrequencies(c);
    if (tables.positions != T || tables.device != device || !tables.inverseFrequencies.equal(inv)) {
        auto positions = at::arange(T, at::kDouble);
        auto angles = at::outer(positions, inv).to(device, at::kFloat); // [T, half]
        tables = {T, inv, device, angles.cos(), angles.sin()};
    }
    return tables;
}

} // namespace

at::Tensor applyRotary(const at::Tensor& x, const ModelConfig& c, std::int64_t offset) {
    const std::int64_t T = x.size(2), half = c.headDim / 2;
    // Each angle is computed from its own position, so a table of offset + T rows gives the later
    // positions bit-identical values to a full forward's.
    const auto& tables = rotaryTables(offset + T, c, x.device());
    const auto cos = tables.cos.narrow(0, offset, T);
    const auto sin = tables.sin.narrow(0, offset, T);
    auto xf = x.to(at::kFloat);
    at::Tensor x0, x1;
    if (c.rotaryInterleaved) {
        auto pairs = xf.reshape({x.size(0), x.size(1), T, half, 2});
        x0 = pairs.select(-1, 0);
        x1 = pairs.select(-1, 1);
    } else {
        x0 = xf.narrow(-1, 0, half);
        x1 = xf.narrow(-1, half, half);
    }
    auto r0 = x0 * cos - x1 * sin;
    auto r1 = x0 * sin + x1 * cos;
    at::Tensor out = c.rotaryInterleaved ? at::stack({r0, r1}, -1).reshape(x.sizes()) : at::cat({r0, r1}, -1);
    return out.to(x.scalar_type());
}

} // namespace ol
