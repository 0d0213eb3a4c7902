#pragma once
// Greedy rotation searches already run, for callers that repeat them on the same activation (the live
// preview, while a user edits parameters that leave the search's input alone: bits, alpha of an unchanged
// smoothing, or max_rotation_step). Keyed by content: a record is used only for an equal input, block size,
// index rule and seed; a search of fewer steps is the prefix of a longer one (a step never depends on how
// many follow), so it is answered from the record too. Bounded: a few records, at most kMaxBytes of inputs,
// least recently used first out. Thread-safe.
#include <ATen/core/Tensor.h>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

namespace ol {

struct GreedySearchRecord {
    at::Tensor input; // the float32 [N, C] activation searched (a copy)
    std::int64_t blockSize = 0;
    bool referenceCompat = false;
    std::uint64_t seed = 0;
    std::vector<std::int64_t> swaps; // every step taken (GreedyRotationResult::swaps), maxSteps of them
    std::vector<double> peaks;       // maxSteps + 1
    at::Tensor prototypes[2];        // float64 Rot of the full blocks and of the tail (undefined without one)
};

class GreedySearchMemo {
public:
    static constexpr std::size_t kMaxRecords = 8;
    static constexpr std::int64_t kMaxBytes = std::int64_t(128) << 20;

    // A record for this input and options with at least `steps` steps, or null.
    std::shared_ptr<const GreedySearchRecord> find(const at::Tensor& x32, std::int64_t blockSize, bool referenceCompat,
                                                   std::uint64_t seed, int steps);
    void store(std::shared_ptr<const GreedySearchRecord> record);

    struct Counts {
        int hits = 0, misses = 0;
    };
    Counts counts() const;

private:
    mutable std::mutex m_mutex;
    std::list<std::shared_ptr<const GreedySearchRecord>> m_records; // most recently used first
    Counts m_counts;
};

} // namespace ol
