#pragma once
// The last few FP layers the preview loaded, with their probes (column absmax per linear) and the preview's
// cache of what a parameter change leaves alone (core/quant/previewcache.h), so that moving a slider does
// not reload the layer nor redo the unchanged stages. Used by preview jobs on the preview thread and cleared from the GUI
// thread, so it locks. Entries remember their model: an entry of another workspace, even one at a reused
// address, is a miss.
#include "core/model/layerweights.h"
#include "core/quant/previewcache.h"
#include "core/workflow/workspace.h"

#include <map>
#include <memory>
#include <mutex>

namespace olv {

class PreviewLayerCache {
public:
    struct Entry {
        ol::LayerWeights weights, probe;
        std::shared_ptr<ol::PreviewCache> stages = std::make_shared<ol::PreviewCache>(); // locks itself
        std::weak_ptr<const ol::Workspace> owner;
    };
    // Layer `layer` of `workspace` (the one the job holds), loaded on a miss.
    std::shared_ptr<const Entry> layer(const std::shared_ptr<const ol::Workspace>& workspace, int layer);
    void clear();

private:
    static constexpr std::size_t kCapacity = 3;
    std::mutex m_mutex;
    std::map<int, std::shared_ptr<const Entry>> m_entries;
};

} // namespace olv
