#pragma once
// The online work of one linear input, whatever the method: an ordered list of
// steps applied to the activation x [.., C] and, on the Cin axis, to the
// weights of its consumers, then the quantization layout of what comes out.
//
// Every step keeps x·Wᵀ: an orthogonal step M acts as x·M and W·M; a scale
// step divides x online, its ×s having been folded into the weights by the
// method's prepare() (so its weight side is the identity). The layout says how
// the transformed input and its weights are quantized: per token with the
// layer's dynamic spec, or by a calibrated static per-cluster quantizer; the
// weights per output row and Cin group, or per (row, input cluster).
//
// A new method is a plugin that lists steps; a new kind of transform is one
// more StepKind handled here, in the serializer and in describe().
#include "core/quant/blockrotation.h"
#include "core/quant/clusterquant.h"

#include <string>
#include <vector>

namespace ol {

struct DuQuantTransform;

enum class StepKind {
    Scale,         // x ÷ s [C]
    Permute,       // x[..., order], order[new] = old (int64 [C])
    BlockRotation, // x·diag(R, ..., R, R_tail), float64 blocks
    Householder,   // x − 2(x·ω̂)ω̂ᵀ, ω [C] of any norm (trainable)
    Hadamard,      // x·diag(H_b, ..., H_b), H_b the normalized Sylvester Hadamard of block b (files store only b)
};

const char* stepKindKey(StepKind kind);       // "scale", "permute", "block_rotation", "householder", "hadamard"
StepKind stepKindFromKey(const std::string&); // FormatError for an unknown key

struct TransformStep {
    StepKind kind = StepKind::Scale;
    at::Tensor vector;      // Scale: s; Permute: order; Householder: ω
    BlockRotation rotation; // BlockRotation; Hadamard: its blocks (rebuilt from the block size on load)

    static TransformStep scale(at::Tensor divisor);
    static TransformStep permute(at::Tensor order);
    static TransformStep blockRotation(BlockRotation rotation);
    static TransformStep householder(at::Tensor omega);
    static TransformStep hadamard(std::int64_t channels, std::int64_t blockSize); // UsageError unless b = 2^k divides C

    at::Tensor applyToActivation(const at::Tensor& x) const;
    at::Tensor applyToWeight(const at::Tensor& w) const; // identity for Scale (folded by prepare)
};

struct SiteTransform {
    std::vector<TransformStep> steps;
    // Layout. Channel clusters of the transformed input, int64 [G] (undefined: none): its consumers' weights
    // are quantized per (row, cluster).
    at::Tensor clusterSizes;
    // A calibrated static activation quantizer (unset: the layer's dynamic per-token spec).
    StaticQuant staticActivation;

    bool isIdentity() const { return steps.empty(); }
    at::Tensor applyToActivation(const at::Tensor& x) const;
    at::Tensor applyToWeight(const at::Tensor& w) const;

    // The first step of a kind, or null.
    TransformStep* find(StepKind kind);
    const TransformStep* find(StepKind kind) const;
    // Appends DuQuant's chain R₁ P₁ R₂ … as block-rotation and permute steps.
    void append(const DuQuantTransform& chain);
    // "smoothing divisor + 2 block rotations (block 128) + 1 permutation + Householder" ("" when none).
    std::string describe() const;

    // x − 2(x·ω̂)ω̂ᵀ on the last dim (differentiable in ω).
    static at::Tensor reflect(const at::Tensor& x, const at::Tensor& omega);
};

} // namespace ol
