#include "core/model/overlaycheckpoint.h"

#include "core/errors.h"

#include <ATen/ATen.h>

namespace ol {

OverlayCheckpoint::OverlayCheckpoint(std::shared_ptr<const Checkpoint> base, const std::string& label)
    : m_base(std::move(base)), m_path(m_base->path() + (label.empty() ? "" : " (" + label + ")")) {}

void OverlayCheckpoint::replace(const std::string& name, const at::Tensor& value) {
    if (!m_base->has(name)) throw UsageError(m_base->path() + ": no tensor '" + name + "' to replace");
    const auto stored = m_base->tensor(name);
    if (stored.sizes() != value.sizes()) throw UsageError("replacement for '" + name + "' has a different shape");
    m_overrides[name] = value.to(at::kCPU, stored.scalar_type()).contiguous().clone();
}

std::vector<TensorMeta> OverlayCheckpoint::tensors() const { return m_base->tensors(); }

at::Tensor OverlayCheckpoint::tensor(const std::string& name) const {
    if (auto it = m_overrides.find(name); it != m_overrides.end()) return it->second.clone();
    return m_base->tensor(name);
}

at::Tensor OverlayCheckpoint::view(const std::string& name) const {
    if (auto it = m_overrides.find(name); it != m_overrides.end()) return it->second;
    return m_base->view(name);
}

void OverlayCheckpoint::release(const std::string& name) const {
    if (!m_overrides.count(name)) m_base->release(name);
}

std::span<const std::byte> OverlayCheckpoint::rawBytes(const std::string& name) const {
    if (auto it = m_overrides.find(name); it != m_overrides.end())
        return {static_cast<const std::byte*>(it->second.data_ptr()), it->second.nbytes()};
    return m_base->rawBytes(name);
}

} // namespace ol
