#include "core/quant/previewcache.h"

namespace ol {

template <typename T>
std::shared_ptr<const T> PreviewCache::lookup(Entries<T>& entries, const std::string& key, const std::function<T()>& make,
                                              int& hits, int& misses) {
    {
        const std::lock_guard lock(m_mutex);
        for (auto it = entries.begin(); it != entries.end(); ++it)
            if (it->first == key) {
                entries.splice(entries.begin(), entries, it);
                ++hits;
                return entries.front().second;
            }
        ++misses;
    }
    auto value = std::make_shared<const T>(make()); // outside the lock: seconds on a large layer
    const std::lock_guard lock(m_mutex);
    entries.remove_if([&](const auto& e) { return e.first == key; });
    entries.emplace_front(key, value);
    if (entries.size() > kCapacity) entries.pop_back();
    return value;
}

std::shared_ptr<const PreviewBaseline> PreviewCache::baseline(const std::string& key,
                                                              const std::function<PreviewBaseline()>& make) {
    return lookup(m_baselines, key, make, m_counts.baselineHits, m_counts.baselineMisses);
}

std::shared_ptr<const QuantizedLayer> PreviewCache::prepared(const std::string& key,
                                                             const std::function<QuantizedLayer()>& make) {
    return lookup(m_prepared, key, make, m_counts.preparedHits, m_counts.preparedMisses);
}

PreviewCache::Counts PreviewCache::counts() const {
    const std::lock_guard lock(m_mutex);
    return m_counts;
}

} // namespace ol
