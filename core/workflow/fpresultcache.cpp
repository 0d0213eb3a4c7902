#include "core/workflow/fpresultcache.h"

namespace ol {

template <class T> T FpResultCache::lookup(Slot<T>& slot, const std::string& key, const std::function<T()>& compute) {
    {
        std::lock_guard lock(m_mutex);
        if (slot.value && slot.key == key) return *slot.value;
    }
    T value = compute(); // minutes of evaluation: never under the lock
    std::lock_guard lock(m_mutex);
    slot.key = key;
    slot.value = value;
    return value;
}

double FpResultCache::perplexity(const std::string& key, const std::function<double()>& compute) {
    return lookup(m_perplexity, key, compute);
}

TaskResults FpResultCache::tasks(const std::string& key, const std::function<TaskResults()>& compute) {
    return lookup(m_tasks, key, compute);
}

MmluResult FpResultCache::mmlu(const std::string& key, const std::function<MmluResult()>& compute) {
    return lookup(m_mmlu, key, compute);
}

} // namespace ol
