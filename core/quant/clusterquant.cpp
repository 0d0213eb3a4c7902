#include "core/quant/clusterquant.h"

#include "core/errors.h"

#include <ATen/ATen.h>
#include <cmath>

namespace ol {

namespace {

QuantSpec perChannel(QuantSpec s) {
    s.groupSize = 1;
    return s;
}

QuantParams expanded(const QuantParams& p, const at::Tensor& sizes) {
    return {expandGroups(p.scale, sizes), expandGroups(p.zero, sizes)};
}

} // namespace

at::Tensor fakeQuantizeStatic(const at::Tensor& x, const StaticQuant& q) {
    if (!q.set() || q.bits >= 16) return x;
    const auto scale = q.scale.to(x.device(), at::kFloat), zero = q.zero.to(x.device(), at::kFloat);
    const double top = std::ldexp(1.0, q.bits) - 1.0;
    const auto xf = x.to(at::kFloat);
    const auto grid = ((xf / scale).round() + zero).clamp(0.0, top);
    return ((grid - zero) * scale).to(x.scalar_type());
}

QuantParams clusterParams(const at::Tensor& max, const at::Tensor& min, int bits, double clip) {
    const auto hi = max.to(at::kFloat) * clip, lo = min.to(at::kFloat) * clip;
    QuantParams p;
    p.scale = ((hi - lo) / (std::ldexp(1.0, bits) - 1.0)).clamp(1e-5, 1e4);
    p.zero = (-lo / p.scale).round();
    return p;
}

StaticQuant staticQuantFromRanges(const at::Tensor& min, const at::Tensor& max, const std::vector<std::int64_t>& sizes, int bits,
                                  double clip) {
    StaticQuant q;
    q.bits = bits;
    if (bits >= 16) return q;
    const auto C = min.size(-1);
    const auto lo = min.to(at::kFloat).reshape({-1, C}), hi = max.to(at::kFloat).reshape({-1, C});
    std::vector<at::Tensor> maxes, mins;
    std::int64_t start = 0;
    for (auto s : sizes) {
        maxes.push_back(hi.narrow(1, start, s).amax(1)), mins.push_back(lo.narrow(1, start, s).amin(1));
        start += s;
    }
    if (start != C)
        throw UsageError("cluster sizes sum to " + std::to_string(start) + ", not to the " + std::to_string(C) + " channels");
    const auto p = clusterParams(at::stack(maxes, 1), at::stack(mins, 1), bits, clip); // [lead, G]
    const auto sz = at::tensor(sizes, at::kLong);
    q.scale = expandGroups(p.scale, sz).reshape(min.sizes());
    q.zero = expandGroups(p.zero, sz).reshape(min.sizes());
    return q;
}

at::Tensor expandGroups(const at::Tensor& perGroup, const at::Tensor& sizes) {
    return perGroup.repeat_interleave(sizes.to(perGroup.device(), at::kLong), 1);
}

QuantParams computeGroupedParams(const at::Tensor& w, const QuantSpec& spec, const at::Tensor& sizes) {
    if (spec.groupSize != 0) throw UsageError("`group_size` cannot be combined with cluster weight groups");
    const auto s = sizes.cpu();
    if (s.sum().item<std::int64_t>() != w.size(1))
        throw UsageError("cluster weight groups sum to " + std::to_string(s.sum().item<std::int64_t>()) + ", the weight has " +
                         std::to_string(w.size(1)) + " input channels");
    if (spec.symmetric) throw UsageError("`symmetric` cannot be combined with cluster weight groups");
    std::vector<at::Tensor> maxes, mins;
    std::int64_t start = 0;
    const auto wf = w.to(at::kFloat);
    for (std::int64_t g = 0; g < s.size(0); ++g) {
        const auto n = s[g].item<std::int64_t>();
        maxes.push_back(wf.narrow(1, start, n).amax(1)), mins.push_back(wf.narrow(1, start, n).amin(1));
        start += n;
    }
    return clusterParams(at::stack(maxes, 1), at::stack(mins, 1), spec.bits, spec.clip);
}

at::Tensor quantizeGroupedCodes(const at::Tensor& w, const QuantParams& p, const QuantSpec& spec, const at::Tensor& sizes) {
    return quantizeCodes(w, expanded(p, sizes), perChannel(spec));
}

at::Tensor dequantizeGrouped(const at::Tensor& codes, const QuantParams& p, const QuantSpec& spec, const at::Tensor& sizes) {
    return dequantize(codes, expanded(p, sizes), perChannel(spec));
}

} // namespace ol
