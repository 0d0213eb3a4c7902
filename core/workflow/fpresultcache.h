#pragma once
// The FP model's evaluation results for one calibrated model, computed by the first quantize job that needs
// them and reused by the next ones (a batch's runs, the workbench's Quantize & Export clicks) when they
// evaluate the same text, tasks or MMLU subset. Shared by jobs on worker threads, so it locks; the
// evaluation itself runs outside the lock.
#include "core/eval/mmluresult.h"
#include "core/eval/taskeval.h"

#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace ol {

class FpResultCache {
public:
    // The value stored for `key`, or what `compute` returns (then stored for `key`). One value per kind:
    // a new key replaces the old one.
    double perplexity(const std::string& key, const std::function<double()>& compute);
    TaskResults tasks(const std::string& key, const std::function<TaskResults()>& compute);
    MmluResult mmlu(const std::string& key, const std::function<MmluResult()>& compute);

private:
    template <class T> struct Slot {
        std::string key;
        std::optional<T> value;
    };
    template <class T> T lookup(Slot<T>& slot, const std::string& key, const std::function<T()>& compute);

    std::mutex m_mutex;
    Slot<double> m_perplexity;
    Slot<TaskResults> m_tasks;
    Slot<MmluResult> m_mmlu;
};

} // namespace ol
