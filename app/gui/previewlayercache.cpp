#include "previewlayercache.h"

#include "core/model/llamamodel.h"
#include "core/quant/layerpreview.h"

namespace olv {

std::shared_ptr<const PreviewLayerCache::Entry> PreviewLayerCache::layer(const std::shared_ptr<const ol::Workspace>& workspace,
                                                                         int layer) {
    {
        std::lock_guard lock(m_mutex);
        auto it = m_entries.find(layer);
        if (it != m_entries.end() && it->second->owner.lock() == workspace) return it->second;
    }
    // Loaded outside the lock: on a large model this takes seconds, and clear() runs on the GUI thread.
    auto entry = std::make_shared<Entry>();
    entry->weights = workspace->source.model->layer(layer);
    entry->probe = ol::previewProbe(entry->weights);
    entry->owner = workspace;
    std::lock_guard lock(m_mutex);
    m_entries.erase(layer);
    if (m_entries.size() >= kCapacity) m_entries.erase(m_entries.begin());
    m_entries[layer] = entry;
    return entry;
}

void PreviewLayerCache::clear() {
    std::lock_guard lock(m_mutex);
    m_entries.clear();
}

} // namespace olv
