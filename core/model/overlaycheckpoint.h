#pragma once
// A checkpoint with some tensors replaced in memory: planted outliers, folded
// transforms. Everything else is read from the base checkpoint.
#include "core/model/checkpoint.h"

#include <map>

namespace ol {

class OverlayCheckpoint final : public Checkpoint {
public:
    explicit OverlayCheckpoint(std::shared_ptr<const Checkpoint> base, const std::string& label = {});

    // Replaces a tensor (same name and shape as in the base; CPU copy kept).
    void replace(const std::string& name, const at::Tensor& value);

    const ModelConfig& config() const override { return m_base->config(); }
    const std::string& path() const override { return m_path; }
    std::string format() const override { return m_base->format(); }
    std::vector<TensorMeta> tensors() const override;
    bool has(const std::string& name) const override { return m_base->has(name); }
    at::Tensor tensor(const std::string& name) const override;
    std::span<const std::byte> rawBytes(const std::string& name) const override;
    at::Tensor view(const std::string& name) const override;
    void release(const std::string& name) const override;
    std::string tokenizerPath() const override { return m_base->tokenizerPath(); }

private:
    std::shared_ptr<const Checkpoint> m_base;
    std::string m_path;
    std::map<std::string, at::Tensor> m_overrides;
};

} // namespace ol
