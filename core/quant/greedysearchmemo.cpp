#include "core/quant/greedysearchmemo.h"

#include <ATen/ATen.h>
#include <cstring>

namespace ol {
namespace {

bool sameContent(const at::Tensor& a, const at::Tensor& b) {
    return a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() &&
           std::memcmp(a.data_ptr(), b.data_ptr(), a.numel() * a.element_size()) == 0;
}

} // namespace

std::shared_ptr<const GreedySearchRecord> GreedySearchMemo::find(const at::Tensor& x32, std::int64_t blockSize,
                                                                 bool referenceCompat, std::uint64_t seed, int steps) {
    const std::lock_guard lock(m_mutex);
    for (auto it = m_records.begin(); it != m_records.end(); ++it) {
        const auto& r = **it;
        if (r.blockSize != blockSize || r.referenceCompat != referenceCompat || r.seed != seed ||
            std::int64_t(r.swaps.size()) < steps || !sameContent(r.input, x32))
            continue;
        m_records.splice(m_records.begin(), m_records, it);
        ++m_counts.hits;
        return m_records.front();
    }
    ++m_counts.misses;
    return nullptr;
}

void GreedySearchMemo::store(std::shared_ptr<const GreedySearchRecord> record) {
    const std::lock_guard lock(m_mutex);
    // A longer search of the same input replaces the shorter one.
    m_records.remove_if([&](const std::shared_ptr<const GreedySearchRecord>& r) {
        return r->blockSize == record->blockSize && r->referenceCompat == record->referenceCompat && r->seed == record->seed &&
               r->swaps.size() <= record->swaps.size() && sameContent(r->input, record->input);
    });
    m_records.push_front(std::move(record));
    std::int64_t bytes = 0;
    std::size_t kept = 0;
    for (auto it = m_records.begin(); it != m_records.end(); ++it, ++kept) {
        bytes += (*it)->input.numel() * (*it)->input.element_size();
        if (kept == kMaxRecords || (kept > 0 && bytes > kMaxBytes)) {
            m_records.erase(it, m_records.end());
            break;
        }
    }
}

GreedySearchMemo::Counts GreedySearchMemo::counts() const {
    const std::lock_guard lock(m_mutex);
    return m_counts;
}

} // namespace ol
