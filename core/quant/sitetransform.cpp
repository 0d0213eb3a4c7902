#include "core/quant/sitetransform.h"

#include "core/errors.h"
#include "core/quant/duquanttransform.h"
#include "core/quant/rotationprototypes.h"

#include <ATen/ATen.h>
#include <map>

namespace ol {

namespace {
const std::map<StepKind, const char*>& stepKeys() {
    static const std::map<StepKind, const char*> keys = {{StepKind::Scale, "scale"},
                                                         {StepKind::Permute, "permute"},
                                                         {StepKind::BlockRotation, "block_rotation"},
                                                         {StepKind::Householder, "householder"},
                                                         {StepKind::Hadamard, "hadamard"}};
    return keys;
}
} // namespace

const char* stepKindKey(StepKind kind) { return stepKeys().at(kind); }

StepKind stepKindFromKey(const std::string& key) {
    for (const auto& [kind, name] : stepKeys())
        if (key == name) return kind;
    throw FormatError("unknown transform step '" + key + "'");
}

TransformStep TransformStep::scale(at::Tensor divisor) { return {StepKind::Scale, std::move(divisor), {}}; }
TransformStep TransformStep::permute(at::Tensor order) { return {StepKind::Permute, std::move(order), {}}; }
TransformStep TransformStep::blockRotation(BlockRotation rotation) { return {StepKind::BlockRotation, {}, std::move(rotation)}; }
TransformStep TransformStep::householder(at::Tensor omega) { return {StepKind::Householder, std::move(omega), {}}; }

TransformStep TransformStep::hadamard(std::int64_t channels, std::int64_t blockSize) {
    if (blockSize < 1 || (blockSize & (blockSize - 1)) != 0 || channels % blockSize != 0)
        throw UsageError("hadamard block size " + std::to_string(blockSize) + " must be a power of two that divides the " +
                         std::to_string(channels) + " channels");
    // Built once here (the files store only the block size): a forward applies it as any block rotation.
    BlockRotation blocks;
    blocks.channels = channels, blocks.blockSize = blockSize;
    blocks.main = normalizedHadamard(blockSize);
    return {StepKind::Hadamard, {}, blocks};
}

at::Tensor TransformStep::applyToActivation(const at::Tensor& x) const {
    switch (kind) {
    case StepKind::Scale: return x / vector.to(x.device(), x.scalar_type());
    case StepKind::Permute: return x.index_select(-1, vector.to(x.device())); // the last dim, whatever the batch
    case StepKind::BlockRotation:
    case StepKind::Hadamard: return rotation.apply(x);
    case StepKind::Householder: return SiteTransform::reflect(x, vector);
    }
    return x;
}

at::Tensor TransformStep::applyToWeight(const at::Tensor& w) const { return kind == StepKind::Scale ? w : applyToActivation(w); }

at::Tensor SiteTransform::applyToActivation(const at::Tensor& x) const {
    auto y = x;
    for (const auto& s : steps) y = s.applyToActivation(y);
    return y;
}

at::Tensor SiteTransform::applyToWeight(const at::Tensor& w) const {
    auto y = w;
    for (const auto& s : steps) y = s.applyToWeight(y);
    return y;
}

TransformStep* SiteTransform::find(StepKind kind) {
    for (auto& s : steps)
        if (s.kind == kind) return &s;
    return nullptr;
}

const TransformStep* SiteTransform::find(StepKind kind) const { return const_cast<SiteTransform*>(this)->find(kind); }

void SiteTransform::append(const DuQuantTransform& chain) {
    if (chain.isIdentity()) return;
    steps.push_back(TransformStep::blockRotation(chain.rotations.at(0)));
    for (std::size_t t = 0; t < chain.permutations.size(); ++t) {
        steps.push_back(TransformStep::permute(chain.permutations[t]));
        steps.push_back(TransformStep::blockRotation(chain.rotations.at(t + 1)));
    }
}

std::string SiteTransform::describe() const {
    std::map<StepKind, int> count;
    std::int64_t block = 0;
    for (const auto& s : steps) {
        ++count[s.kind];
        if (s.kind == StepKind::BlockRotation && !block) block = s.rotation.blockSize;
    }
    auto plural = [&](StepKind k, const std::string& what) {
        const int n = count[k];
        return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
    };
    std::vector<std::string> parts;
    if (count[StepKind::Scale]) parts.push_back("online smoothing divisor");
    if (count[StepKind::BlockRotation])
        parts.push_back(plural(StepKind::BlockRotation, "block rotation") + " (block " + std::to_string(block) + ")");
    if (count[StepKind::Permute]) parts.push_back(plural(StepKind::Permute, "permutation"));
    if (count[StepKind::Householder]) parts.push_back("global Householder");
    if (count[StepKind::Hadamard]) parts.push_back(plural(StepKind::Hadamard, "Hadamard rotation"));
    if (clusterSizes.defined()) parts.push_back(std::to_string(clusterSizes.numel()) + " channel clusters");
    if (staticActivation.set()) parts.push_back("static activation quantizer");
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : " + ") + p;
    return out;
}

at::Tensor SiteTransform::reflect(const at::Tensor& x, const at::Tensor& omega) {
    const auto w = omega.to(x.device(), x.scalar_type());
    const auto unit = w / w.norm();
    // x·u as a row reduction, not a matrix-vector product: OpenBLAS's threaded sgemv rounds differently with its
    // thread count (RUQuant W4A4 7.3620 with 1 thread, 7.3793 with 2), torch's row sums do not.
    return x - 2 * (x * unit).sum(-1, true) * unit;
}

} // namespace ol
