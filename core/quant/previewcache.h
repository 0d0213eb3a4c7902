#pragma once
// What the live preview keeps between previews of one layer of one model, so that a parameter change costs
// only what it changes: the method-independent "before" half per site and settings, the layer as prepare()
// left it per method and prepare parameters (the smoothing of an unchanged alpha), and the greedy searches
// (core/quant/greedysearchmemo.h). Small and bounded (least recently used out); thread-safe: values are
// computed outside the lock, so a slow miss never blocks another preview.
#include "core/quant/greedysearchmemo.h"
#include "core/quant/layerpreview.h"
#include "core/quant/quantizedlayer.h"

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace ol {

class PreviewCache {
public:
    std::shared_ptr<const PreviewBaseline> baseline(const std::string& key, const std::function<PreviewBaseline()>& make);
    std::shared_ptr<const QuantizedLayer> prepared(const std::string& key, const std::function<QuantizedLayer()>& make);
    GreedySearchMemo& searches() { return m_searches; }

    struct Counts {
        int baselineHits = 0, baselineMisses = 0, preparedHits = 0, preparedMisses = 0;
    };
    Counts counts() const;

private:
    template <typename T> using Entries = std::list<std::pair<std::string, std::shared_ptr<const T>>>;
    template <typename T>
    std::shared_ptr<const T> lookup(Entries<T>& entries, const std::string& key, const std::function<T()>& make, int& hits,
                                    int& misses);

    static constexpr std::size_t kCapacity = 4;
    mutable std::mutex m_mutex;
    Entries<PreviewBaseline> m_baselines;
    Entries<QuantizedLayer> m_prepared;
    GreedySearchMemo m_searches;
    Counts m_counts;
};

} // namespace ol
