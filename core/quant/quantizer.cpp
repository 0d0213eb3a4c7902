#include "core/quant/quantizer.h"

#include "core/errors.h"
#include "core/quant/fakequantkernel.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <algorithm>
#include <vector>

#include <cmath>
#include <limits>
#include <string>

namespace ol {

namespace {

// Reference constants CLIPMIN / CLIPMAX.
constexpr double kClipMin = 1e-5;
constexpr double kClipMax = 1e4;

std::string shapeText(const at::Tensor& t) {
    std::string s = "[";
    for (std::int64_t d = 0; d < t.dim(); ++d) s += (d ? ", " : "") + std::to_string(t.size(d));
    return s + "]";
}

double qmax(int bits) { return std::ldexp(1.0, bits) - 1.0; }

// x viewed as float32 [rows, groups, groupSize]; every reduction and
// elementwise op below works on this view, which gives the same values as the
// reference's reshape(-1, groupSize) (elementwise ops do not care about shape).
struct Grouped {
    at::Tensor x;
    std::int64_t rows = 0, groups = 0, groupSize = 0;
};

Grouped grouped(const at::Tensor& x, const QuantSpec& spec) {
    if (!x.defined() || x.dim() == 0) throw UsageError("quantizer: input must have at least one dimension");
    if (!at::isFloatingType(x.scalar_type()))
        throw UsageError("quantizer: input must be floating point, got " + std::string(c10::toString(x.scalar_type())));
    const std::int64_t cols = x.size(-1);
    if (cols == 0 || x.numel() == 0) throw UsageError("quantizer: input " + shapeText(x) + " is empty");
    const std::int64_t gs = spec.groupSize > 0 ? spec.groupSize : cols;
    if (cols % gs != 0)
        throw UsageError("quantizer: groupSize " + std::to_string(spec.groupSize) + " does not divide the last dim " +
                         std::to_string(cols));
    Grouped g;
    g.rows = x.numel() / cols;
    g.groups = cols / gs;
    g.groupSize = gs;
    g.x = x.to(at::kFloat).reshape({g.rows, g.groups, gs});
    return g;
}

at::Tensor lwcFactor(const at::Tensor& f, const Grouped& g, const char* name) {
    if (!f.defined()) throw UsageError(std::string("quantizer: LWC factor '") + name + "' is missing");
    const bool ok = f.dim() == 2 && f.size(0) == g.rows && (f.size(1) == 1 || f.size(1) == g.groups);
    if (!ok)
        throw UsageError(std::string("quantizer: LWC factor '") + name + "' has shape " + shapeText(f) + ", expected [" +
                         std::to_string(g.rows) + ", 1] or [" + std::to_string(g.rows) + ", " + std::to_string(g.groups) + "]");
    return f.to(g.x.device(), at::kFloat).sigmoid();
}

QuantParams paramsOf(const Grouped& g, const QuantSpec& spec, const LwcFactors& lwc) {
    at::Tensor xmax = g.x.amax(-1); // [rows, groups]
    at::Tensor xmin = g.x.amin(-1);
    // Exclusive precedence as in the reference: static clip wins, else LWC.
    if (spec.clip != 1.0) {
        xmax = xmax * spec.clip;
        xmin = xmin * spec.clip;
    } else if (lwc.defined()) {
        xmax = lwcFactor(lwc.up, g, "up") * xmax;
        xmin = lwcFactor(lwc.low, g, "low") * xmin;
    }
    QuantParams p;
    at::Tensor zero;
    if (spec.symmetric) {
        const double half = std::ldexp(1.0, spec.bits - 1) - 1.0;
        p.scale = (at::max(xmax.abs(), xmin.abs()) / half).clamp(kClipMin, kClipMax);
        zero = at::full_like(p.scale, half);
    } else {
        p.scale = ((xmax - xmin) / qmax(spec.bits)).clamp(kClipMin, kClipMax);
        zero = -xmin / p.scale;
    }
    p.zero = zero.clamp(-kClipMax, kClipMax).round();
    return p;
}

// (y.round() - y).detach() + y: the value of round(y) (exactly, since
// round(y) - y is exact in float), the gradient of y.
at::Tensor roundSte(const at::Tensor& y) { return (y.round() - y).detach() + y; }

// Clamped integer grid value q as float32, shape of g.x.
at::Tensor gridOf(const at::Tensor& x3, const at::Tensor& scale3, const at::Tensor& zero3, int bits) {
    return (roundSte(x3 / scale3) + zero3).clamp(0.0, qmax(bits));
}

void checkParams(const QuantParams& p, const Grouped& g) {
    for (const auto* t : {&p.scale, &p.zero}) {
        if (!t->defined() || t->dim() != 2 || t->size(0) != g.rows || t->size(1) != g.groups)
            throw UsageError("quantizer: params have shape " + (t->defined() ? shapeText(*t) : "undefined") + ", expected [" +
                             std::to_string(g.rows) + ", " + std::to_string(g.groups) + "]");
    }
}

void checkCodeBits(const QuantSpec& spec) {
    validate(spec, "quantizer");
    if (spec.bits > 8) throw UsageError("quantizer: bits " + std::to_string(spec.bits) + " do not fit uint8 codes (max 8)");
}

} // namespace

void validate(const QuantSpec& spec, const char* what) {
    const std::string w = what ? what : "quantizer";
    if (spec.bits < 1 || spec.bits > 16) throw UsageError(w + ": bits must be in [1, 16], got " + std::to_string(spec.bits));
    // One symmetric level would mean dividing by 2^0 - 1 = 0.
    if (spec.symmetric && spec.bits < 2)
        throw UsageError(w + ": symmetric quantization needs at least 2 bits, got " + std::to_string(spec.bits));
    if (!(spec.clip > 0.0 && spec.clip <= 1.0))
        throw UsageError(w + ": clip ratio must be in (0, 1], got " + std::to_string(spec.clip));
    if (spec.groupSize < 0) throw UsageError(w + ": group size must be >= 0, got " + std::to_string(spec.groupSize));
}

QuantParams computeQuantParams(const at::Tensor& x, const QuantSpec& spec, const LwcFactors& lwc) {
    validate(spec, "quantizer");
    return paramsOf(grouped(x, spec), spec, lwc);
}

at::Tensor fakeQuantize(const at::Tensor& x, const QuantSpec& spec, const LwcFactors& lwc) {
    if (!spec.enabled()) return x;
    validate(spec, "quantizer");
    const Grouped g = grouped(x, spec);
    const bool needsGrad = at::GradMode::is_enabled() && x.requires_grad();
    if (!needsGrad && !lwc.defined() && g.x.device().is_cpu()) {
        // One pass per group, the same bits as the tensor ops below (fakequantkernel.h).
        const auto in = g.x.contiguous();
        auto out = at::empty_like(in);
        fakeQuantizeGroups(in.data_ptr<float>(), out.data_ptr<float>(), g.rows * g.groups, g.groupSize,
                           {spec.bits, spec.symmetric, static_cast<float>(spec.clip)});
        return out.reshape(x.sizes()).to(x.scalar_type());
    }
    const QuantParams p = paramsOf(g, spec, lwc);
    const at::Tensor scale = p.scale.unsqueeze(-1), zero = p.zero.unsqueeze(-1);
    const at::Tensor q = gridOf(g.x, scale, zero, spec.bits);
    return ((q - zero) * scale).reshape(x.sizes()).to(x.scalar_type());
}

at::Tensor quantizeCodes(const at::Tensor& x, const QuantParams& params, const QuantSpec& spec) {
    checkCodeBits(spec);
    if (x.dim() != 2) throw UsageError("quantizeCodes: x must be 2-D [rows, cols], got " + shapeText(x));
    const Grouped g = grouped(x.detach(), spec);
    checkParams(params, g);
    const at::Tensor scale = params.scale.detach().to(g.x.device(), at::kFloat).unsqueeze(-1);
    const at::Tensor zero = params.zero.detach().to(g.x.device(), at::kFloat).unsqueeze(-1);
    const at::Tensor q = gridOf(g.x, scale, zero, spec.bits);
    return q.to(at::kByte).reshape(x.sizes());
}

at::Tensor dequantize(const at::Tensor& codes, const QuantParams& params, const QuantSpec& spec) {
    checkCodeBits(spec);
    if (codes.dim() != 2 || codes.scalar_type() != at::kByte)
        throw UsageError("dequantize: codes must be uint8 [rows, cols], got " + std::string(c10::toString(codes.scalar_type())) +
                         " " + shapeText(codes));
    const std::int64_t gs = spec.groupSize > 0 ? spec.groupSize : codes.size(1);
    if (gs == 0 || codes.size(1) % gs != 0)
        throw UsageError("dequantize: groupSize " + std::to_string(spec.groupSize) + " does not divide the last dim " +
                         std::to_string(codes.size(1)));
    Grouped g;
    g.rows = codes.size(0);
    g.groups = codes.size(1) / gs;
    g.groupSize = gs;
    checkParams(params, g);
    // Same (q - zp) * scale as fakeQuantize, on the same float32 values of q.
    const at::Tensor scale = params.scale.to(codes.device(), at::kFloat).unsqueeze(-1);
    const at::Tensor zero = params.zero.to(codes.device(), at::kFloat).unsqueeze(-1);
    const at::Tensor q = codes.to(at::kFloat).reshape({g.rows, g.groups, gs});
    return ((q - zero) * scale).reshape(codes.sizes());
}

namespace {

struct ErrorSums {
    double noise = 0, signal = 0, maxAbs = 0;
};

// One pass over both tensors, in double: Σ(r − q)², Σr², max|r − q|. Fixed 64K-element chunks combined
// in order, so the result does not depend on the thread count.
template <typename T> ErrorSums errorSums(const T* r, const T* q, std::int64_t n) {
    constexpr std::int64_t kChunk = 1 << 16;
    const std::int64_t chunks = (n + kChunk - 1) / kChunk;
    std::vector<ErrorSums> partial(static_cast<std::size_t>(chunks));
    at::parallel_for(0, chunks, 1, [&](std::int64_t c0, std::int64_t c1) {
        for (std::int64_t c = c0; c < c1; ++c) {
            // Eight independent accumulators per sum: no dependency chain, and the compiler vectorizes it.
            constexpr int kLanes = 8;
            double noise[kLanes] = {}, signal[kLanes] = {}, maxAbs[kLanes] = {};
            const std::int64_t begin = c * kChunk, end = std::min(n, (c + 1) * kChunk);
            std::int64_t i = begin;
            for (; i + kLanes <= end; i += kLanes) {
                for (int k = 0; k < kLanes; ++k) {
                    const double ref = static_cast<double>(r[i + k]), d = ref - static_cast<double>(q[i + k]);
                    noise[k] += d * d;
                    signal[k] += ref * ref;
                    maxAbs[k] = std::max(maxAbs[k], std::abs(d));
                }
            }
            for (; i < end; ++i) {
                const double ref = static_cast<double>(r[i]), d = ref - static_cast<double>(q[i]);
                noise[0] += d * d;
                signal[0] += ref * ref;
                maxAbs[0] = std::max(maxAbs[0], std::abs(d));
            }
            ErrorSums e;
            for (int k = 0; k < kLanes; ++k) {
                e.noise += noise[k];
                e.signal += signal[k];
                e.maxAbs = std::max(e.maxAbs, maxAbs[k]);
            }
            partial[static_cast<std::size_t>(c)] = e;
        }
    });
    ErrorSums total;
    for (const auto& e : partial) {
        total.noise += e.noise;
        total.signal += e.signal;
        total.maxAbs = std::max(total.maxAbs, e.maxAbs);
    }
    return total;
}

} // namespace

QuantError quantError(const at::Tensor& reference, const at::Tensor& quantized) {
    if (!reference.sizes().equals(quantized.sizes()))
        throw UsageError("quantError: shapes differ: reference " + shapeText(reference) + ", quantized " + shapeText(quantized));
    QuantError e;
    if (reference.numel() == 0) {
        e.sqnrDb = std::numeric_limits<double>::infinity();
        return e;
    }
    // The report costs one pass over each operand (it used to be eight passes over float64 copies).
    const bool asDouble = reference.scalar_type() == at::kDouble || quantized.scalar_type() == at::kDouble;
    const auto type = asDouble ? at::kDouble : at::kFloat;
    const at::Tensor r = reference.detach().to(at::kCPU, type).contiguous();
    const at::Tensor q = quantized.detach().to(at::kCPU, type).contiguous();
    const ErrorSums sums = asDouble ? errorSums(r.data_ptr<double>(), q.data_ptr<double>(), r.numel())
                                    : errorSums(r.data_ptr<float>(), q.data_ptr<float>(), r.numel());
    e.mse = sums.noise / static_cast<double>(r.numel());
    e.maxAbs = sums.maxAbs;
    e.sqnrDb = sums.noise == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(sums.signal / sums.noise);
    return e;
}

} // namespace ol
