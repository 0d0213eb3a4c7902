#include "core/quant/greedyrotation.h"

#include "core/errors.h"
#include "core/progress.h"
#include "core/quant/greedysearchmemo.h"
#include "core/quant/rotationprototypes.h"
#include "core/quant/rotationstream.h"
#include "core/serialblas.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#if defined(__SSE__)
#include <immintrin.h>
#endif

namespace ol {
namespace {

// The search sees the activation as kf full blocks of bs channels (segment 0, one shared rotation,
// viewed as [N·kf, bs]) and a tail of r channels (segment 1, its own rotation, viewed as [N, r]).
struct Layout {
    std::int64_t n = 0, c = 0, bs = 0, kf = 0, r = 0;

    std::int64_t width(int seg) const { return seg == 0 ? bs : r; }
    // Linear index in [N, C] of element (row, 0) of a segment's view; ties between equal extremes go to the
    // lower linear index, which is torch.argmax's "first occurrence" on the [N·kf, bs] view.
    std::int64_t rowBase(int seg, std::int64_t row) const {
        return seg == 0 ? (row / kf) * c + (row % kf) * bs : row * c + kf * bs;
    }
    struct Position {
        int seg;
        std::int64_t row, col;
    };
    Position locate(std::int64_t linear) const {
        const std::int64_t token = linear / c, ch = linear % c;
        if (ch < kf * bs) return {0, token * kf + ch / bs, ch % bs};
        return {1, token, ch - kf * bs};
    }
};

// Signed max and min of the tensor with the linear index of their first occurrence.
struct Extremes {
    float maxV = -std::numeric_limits<float>::infinity(), minV = std::numeric_limits<float>::infinity();
    std::int64_t maxAt = std::numeric_limits<std::int64_t>::max(), minAt = std::numeric_limits<std::int64_t>::max();

    void offerMax(float v, std::int64_t at) {
        if (v > maxV || (v == maxV && at < maxAt)) maxV = v, maxAt = at;
    }
    void offerMin(float v, std::int64_t at) {
        if (v < minV || (v == minV && at < minAt)) minV = v, minAt = at;
    }
    void merge(const Extremes& o) {
        offerMax(o.maxV, o.maxAt);
        offerMin(o.minV, o.minAt);
    }
};

// Validates and returns the float32 CPU contiguous copy the search runs on (x itself when it already is one).
at::Tensor searchInput(const at::Tensor& x, const GreedyRotationOptions& o, Layout& l) {
    if (!x.defined() || x.dim() != 2)
        throw UsageError("greedy rotation: activation must be 2-D [tokens, channels], got " +
                         std::to_string(x.defined() ? x.dim() : 0) + " dims");
    if (!at::isFloatingType(x.scalar_type())) throw UsageError("greedy rotation: activation must be a floating-point tensor");
    l.n = x.size(0);
    l.c = x.size(1);
    if (o.blockSize < 1) throw UsageError("`block_size` must be >= 1, got " + std::to_string(o.blockSize));
    if (o.blockSize > l.c)
        throw UsageError("`block_size` " + std::to_string(o.blockSize) + " is larger than the " + std::to_string(l.c) +
                         " channels of the activation");
    if (o.maxSteps < 0) throw UsageError("`max_rotation_step` must be >= 0, got " + std::to_string(o.maxSteps));
    if (l.n == 0) throw UsageError("greedy rotation: activation has no tokens");
    l.bs = o.blockSize;
    l.kf = l.c / l.bs;
    l.r = l.c % l.bs;
    auto x32 = x.to(at::kCPU, at::kFloat).contiguous();
    const float* p = x32.data_ptr<float>();
    if (!std::all_of(p, p + x32.numel(), [](float v) { return std::isfinite(v); }))
        throw UsageError("activation contains NaN/Inf");
    return x32;
}

// Rot = helmert(w)·diag(1, Q(w−1)), drawn once per call (§1.7.3): from the run's stream when there is
// one (as get_rot's torch.randn), else from a generator of its own seeded `seed` (QR in float64).
at::Tensor prototype(std::int64_t w, std::uint64_t seed, RotationStream* stream) {
    auto rot = helmertPrototype(w);
    if (w > 1) {
        // The stream reproduces get_rot: its float32 QR too (the reference's Q, rounding included).
        const auto q = stream ? std::get<0>(at::linalg_qr(stream->randn(w - 1))).to(at::kDouble) : randomOrthogonal(w - 1, seed);
        rot.narrow(1, 1, w - 1).copy_(rot.narrow(1, 1, w - 1).mm(q));
    }
    return rot;
}

// E_d·rot·E_d: rows and columns 0 and d swapped (moves channel d to the spreading slot and back).
at::Tensor swapped(const at::Tensor& rot, std::int64_t d) {
    if (d == 0) return rot;
    auto p = at::arange(rot.size(0), at::kLong);
    p.data_ptr<std::int64_t>()[0] = d;
    p.data_ptr<std::int64_t>()[d] = 0;
    return rot.index_select(0, p).index_select(1, p);
}

// State shared by both versions: prototypes, the steps taken and the objective.
struct Search {
    Layout l;
    bool compat;
    at::Tensor rot64[2], rot32[2];
    std::vector<std::pair<int, std::int64_t>> steps; // (segment, d)
    std::vector<double> peaks;

    Search(const Layout& layout, const GreedyRotationOptions& o) : l(layout), compat(o.referenceCompat) {
        rot64[0] = prototype(l.bs, o.seed, o.stream);
        rot32[0] = rot64[0].to(at::kFloat);
        if (l.r) {
            rot64[1] = prototype(l.r, o.seed + 1, o.stream);
            rot32[1] = rot64[1].to(at::kFloat);
        }
    }

    // Records the range; returns the (segment, d) to rotate, as the pseudo-code picks it.
    std::pair<int, std::int64_t> record(const Extremes& e) {
        peaks.push_back(static_cast<double>(e.maxV - e.minV)); // float32 subtraction, as the reference
        const bool takeMax = std::abs(e.maxV) > std::abs(e.minV);
        const auto pos = l.locate(takeMax ? e.maxAt : e.minAt);
        return {pos.seg, compat ? pos.row % l.width(pos.seg) : pos.col};
    }

    std::vector<std::int64_t> swaps() const {
        std::vector<std::int64_t> out;
        for (const auto& [seg, d] : steps) out.push_back(seg == 0 ? d : l.kf * l.bs + d);
        return out;
    }
};

// The result of the steps `swaps` (as GreedyRotationResult::swaps) whose ranges were `peaks` (one more).
GreedyRotationResult assemble(const Layout& l, const at::Tensor (&rot64)[2], std::vector<std::int64_t> swaps,
                              std::vector<double> peaks) {
    GreedyRotationResult res;
    res.bestPrefix = int(std::min_element(peaks.begin(), peaks.end()) - peaks.begin());
    res.rotation = BlockRotation::identity(l.c, l.bs);
    for (int i = 0; i < res.bestPrefix; ++i) {
        const bool tail = swaps[i] >= l.kf * l.bs;
        auto& m = tail ? res.rotation.tail : res.rotation.main;
        m = m.mm(swapped(rot64[tail ? 1 : 0], tail ? swaps[i] - l.kf * l.bs : swaps[i]));
    }
    res.peaks = std::move(peaks);
    res.swaps = std::move(swaps);
    return res;
}

// Max and min of one row (no NaN here), four SSE accumulators: the scan is on the critical path of every step.
inline void rowMaxMin(const float* row, std::int64_t w, float& mx, float& mn) {
    std::int64_t j = 0;
    mx = mn = row[0];
#if defined(__SSE__)
    if (w >= 16) {
        __m128 hi[4], lo[4];
        for (int a = 0; a < 4; ++a) hi[a] = lo[a] = _mm_loadu_ps(row + 4 * a);
        for (j = 16; j + 16 <= w; j += 16)
            for (int a = 0; a < 4; ++a) {
                const __m128 v = _mm_loadu_ps(row + j + 4 * a);
                hi[a] = _mm_max_ps(hi[a], v);
                lo[a] = _mm_min_ps(lo[a], v);
            }
        alignas(16) float h[4], l[4];
        _mm_store_ps(h, _mm_max_ps(_mm_max_ps(hi[0], hi[1]), _mm_max_ps(hi[2], hi[3])));
        _mm_store_ps(l, _mm_min_ps(_mm_min_ps(lo[0], lo[1]), _mm_min_ps(lo[2], lo[3])));
        mx = std::max(std::max(h[0], h[1]), std::max(h[2], h[3]));
        mn = std::min(std::min(l[0], l[1]), std::min(l[2], l[3]));
    }
#endif
    for (; j < w; ++j) {
        mx = row[j] > mx ? row[j] : mx;
        mn = row[j] < mn ? row[j] : mn;
    }
}

// Fused max/min with first-occurrence positions over n rows of a [n, w] float32 block; base[p] is the
// linear index of row p's first element. Serial on purpose: it runs between BLAS calls, and OpenMP
// workers spinning beside OpenBLAS's threads on the same cores slow both down.
void scanRows(const float* data, std::int64_t n, std::int64_t w, const std::int64_t* base, Extremes& e) {
    for (std::int64_t p = 0; p < n; ++p) {
        const float* row = data + p * w;
        float mx, mn;
        rowMaxMin(row, w, mx, mn);
        // Positions are looked up only for rows that can change the result.
        if (mx >= e.maxV) e.offerMax(mx, base[p] + (std::find(row, row + w, mx) - row));
        if (mn <= e.minV) e.offerMin(mn, base[p] + (std::find(row, row + w, mn) - row));
    }
}

// One segment of the fast search. Rows are sorted by L2 norm, descending, and only the first `live` rows
// are kept current. Rotations keep a row's norm and every entry lies within ±norm, so a row whose norm is
// below min(max, −min) cannot hold an extreme. A row that becomes possible later is replayed through the
// same float32 products the straightforward version applied to it (equal up to BLAS rounding, which
// depends on how many rows share a product). Products run in chunks of 512 KiB through a scratch buffer:
// the scan reads the chunk from cache, and no second full-size buffer is needed. The chunks of a step are
// spread over the cores, each thread with its own scratch and a single-threaded BLAS (SerialBlas); every
// chunk is the same product either way, so the steps do not depend on the thread count.
class Segment {
public:
    // x: the [N, C] float32 contiguous activation; the segment's row p starts at x + l.rowBase(seg, p).
    Segment(const Layout& l, int seg, const float* x) : m_w(l.width(seg)) {
        // Serial loops on purpose: one cheap pass, and on small activations waking thread pools would dominate.
        const std::int64_t count = seg == 0 ? l.n * l.kf : l.n;
        std::vector<double> norm(count);
        for (std::int64_t i = 0; i < count; ++i) {
            const float* row = x + l.rowBase(seg, i);
            double s = 0;
            for (std::int64_t j = 0; j < m_w; ++j) s += double(row[j]) * row[j];
            norm[i] = std::sqrt(s);
        }
        std::vector<std::int64_t> order(count);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) { return norm[a] > norm[b]; });
        m_sorted = at::empty({count, m_w}, at::kFloat);
        m_norm.resize(count);
        m_base.resize(count);
        for (std::int64_t p = 0; p < count; ++p) {
            m_base[p] = l.rowBase(seg, order[p]);
            m_norm[p] = norm[order[p]];
            std::memcpy(m_sorted.data_ptr<float>() + p * m_w, x + m_base[p], sizeof(float) * m_w);
        }
        m_chunk = std::min(count, std::max<std::int64_t>(64, (std::int64_t(1) << 17) / m_w));
        // at::empty does not touch memory: only rows that become live cost resident memory.
        m_cur = at::empty_like(m_sorted);
        m_scratch.resize(static_cast<std::size_t>(std::max(1, at::get_num_threads())));
        ensureLive(std::numeric_limits<double>::infinity());
    }

    std::int64_t live() const { return m_live; }
    const Extremes& extremes() const { return m_extremes; }

    // Makes every row with norm >= threshold live (and some more, so that replays stay few and large).
    void ensureLive(double threshold) {
        const std::int64_t count = m_cur.size(0);
        const auto needed = std::int64_t(
            std::partition_point(m_norm.begin(), m_norm.end(), [&](double v) { return v >= threshold; }) - m_norm.begin());
        if (needed <= m_live && m_live > 0) return;
        const std::int64_t target = std::min(count, std::max(needed, m_live + std::max<std::int64_t>(64, m_live / 4)));
        const std::size_t k = m_applied.size();
        forChunks(m_live, target, [&](std::int64_t b, std::int64_t n, Scratch& s, Extremes& e) {
            auto dst = m_cur.narrow(0, b, n);
            auto src = m_sorted.narrow(0, b, n);
            if (k == 0) std::memcpy(dst.data_ptr<float>(), src.data_ptr<float>(), sizeof(float) * n * m_w);
            for (std::size_t i = 0; i < k; ++i) { // the last product lands in m_cur
                auto out = i + 1 == k ? dst : s.buffer(i % 2, m_chunk, m_w).narrow(0, 0, n);
                at::mm_out(out, src, m_applied[i]);
                src = out;
            }
            scanRows(dst.data_ptr<float>(), n, m_w, m_base.data() + b, e);
        });
        m_live = target;
        if (m_live == count) m_sorted = at::Tensor(); // nothing left to replay
    }

    // One step: live rows times rd in place, each chunk scanned while it is in cache.
    void rotate(const at::Tensor& rd) {
        m_extremes = Extremes();
        forChunks(0, m_live, [&](std::int64_t b, std::int64_t n, Scratch& s, Extremes& e) {
            auto rows = m_cur.narrow(0, b, n), out = s.buffer(0, m_chunk, m_w).narrow(0, 0, n);
            at::mm_out(out, rows, rd);
            scanRows(out.data_ptr<float>(), n, m_w, m_base.data() + b, e);
            std::memcpy(rows.data_ptr<float>(), out.data_ptr<float>(), sizeof(float) * n * m_w);
        });
        m_applied.push_back(rd);
    }

private:
    struct Scratch {
        at::Tensor buffers[2];
        at::Tensor& buffer(std::size_t i, std::int64_t rows, std::int64_t w) {
            if (!buffers[i].defined()) buffers[i] = at::empty({rows, w}, at::kFloat);
            return buffers[i];
        }
    };

    // fn(first row, rows, this thread's scratch, the chunk's extremes) for the chunks of rows [from, to),
    // on every core; the chunks' extremes are merged into m_extremes (first occurrence wins, in any order).
    template <typename Fn> void forChunks(std::int64_t from, std::int64_t to, const Fn& fn) {
        const std::int64_t chunks = (to - from + m_chunk - 1) / m_chunk;
        if (chunks <= 0) return;
        std::vector<Extremes> found(static_cast<std::size_t>(chunks));
        auto run = [&](std::int64_t c0, std::int64_t c1) {
            const SerialBlas serial; // MKL: per thread; OpenBLAS: the caller's scope already holds it
            auto& scratch =
                m_scratch.at(static_cast<std::size_t>(std::min<int>(at::get_thread_num(), int(m_scratch.size()) - 1)));
            for (std::int64_t c = c0; c < c1; ++c) {
                const std::int64_t b = from + c * m_chunk;
                fn(b, std::min(m_chunk, to - b), scratch, found[static_cast<std::size_t>(c)]);
            }
        };
        if (chunks == 1 || m_scratch.size() == 1)
            run(0, chunks);
        else
            at::parallel_for(0, chunks, 1, run);
        for (const auto& e : found) m_extremes.merge(e);
    }

    std::int64_t m_w, m_live = 0, m_chunk = 0;
    at::Tensor m_sorted, m_cur;
    std::vector<Scratch> m_scratch; // one per thread of at::parallel_for
    std::vector<double> m_norm;
    std::vector<std::int64_t> m_base;
    std::vector<at::Tensor> m_applied; // float32 E_d·Rot·E_d of every step on this segment, in order
    Extremes m_extremes;               // of the live rows
};

} // namespace

GreedyRotationResult greedyBlockRotation(const at::Tensor& x, const GreedyRotationOptions& o, Progress* progress) {
    Layout l;
    auto x32 = searchInput(x, o, l);
    // A stream's draws depend on what the run drew before: such searches are never memoized.
    GreedySearchMemo* memo = o.stream ? nullptr : o.memo;
    if (memo) {
        if (const auto r = memo->find(x32, o.blockSize, o.referenceCompat, o.seed, o.maxSteps)) {
            const auto steps = std::size_t(o.maxSteps);
            return assemble(l, r->prototypes, {r->swaps.begin(), r->swaps.begin() + std::ptrdiff_t(steps)},
                            {r->peaks.begin(), r->peaks.begin() + std::ptrdiff_t(steps + 1)});
        }
    }
    const auto searched = memo ? (x32.data_ptr() == x.data_ptr() ? x32.clone() : x32) : at::Tensor();
    Search s(l, o);
    // The segments run their chunks on every core, each with a single-threaded BLAS (held for the whole
    // search so that OpenBLAS's process-wide count is not switched at every step).
    std::optional<SerialBlas> serial;
    if (at::get_num_threads() > 1) serial.emplace();
    std::vector<Segment> segs;
    segs.emplace_back(l, 0, x32.data_ptr<float>());
    if (l.r) segs.emplace_back(l, 1, x32.data_ptr<float>());
    x32 = at::Tensor(); // the segments hold their own sorted copies
    std::vector<std::vector<at::Tensor>> rd(segs.size());
    for (std::size_t g = 0; g < segs.size(); ++g) rd[g].resize(l.width(int(g)));

    for (int step = 0;; ++step) {
        if (progress && step % 8 == 0) progress->checkCancelled();
        Extremes e;
        for (const auto& g : segs) e.merge(g.extremes());
        // Float32 products are orthogonal only to ~1e-6 per step: a generous margin keeps the bound safe.
        const double slack = 1.0 + 1e-3 + 4e-6 * step;
        const double threshold = std::min<double>(e.maxV, -double(e.minV)) / slack;
        // New rows can only widen [min, max], so one pass over the segments suffices.
        for (auto& g : segs) {
            g.ensureLive(threshold);
            e.merge(g.extremes());
        }
        const auto [seg, d] = s.record(e);
        if (step == o.maxSteps) break;
        auto& m = rd[seg][d];
        if (!m.defined()) m = swapped(s.rot32[seg], d);
        segs[seg].rotate(m);
        s.steps.emplace_back(seg, d);
    }
    auto res = assemble(l, s.rot64, s.swaps(), s.peaks);
    if (memo) {
        auto record = std::make_shared<GreedySearchRecord>();
        record->input = searched;
        record->blockSize = o.blockSize;
        record->referenceCompat = o.referenceCompat;
        record->seed = o.seed;
        record->swaps = res.swaps;
        record->peaks = res.peaks;
        record->prototypes[0] = s.rot64[0];
        record->prototypes[1] = s.rot64[1];
        memo->store(std::move(record));
    }
    return res;
}

GreedyRotationResult greedyBlockRotationStraightforward(const at::Tensor& x, const GreedyRotationOptions& o) {
    Layout l;
    const auto x32 = searchInput(x, o, l);
    Search s(l, o);
    at::Tensor b[2] = {x32.narrow(1, 0, l.kf * l.bs).reshape({-1, l.bs}), l.r ? x32.narrow(1, l.kf * l.bs, l.r) : at::Tensor()};
    for (int step = 0;; ++step) {
        Extremes e;
        for (int g = 0; g < 2; ++g) {
            if (!b[g].defined()) continue;
            const auto w = b[g].size(1);
            const auto i1 = b[g].argmax().item<std::int64_t>(), i2 = b[g].argmin().item<std::int64_t>();
            e.offerMax(b[g][i1 / w][i1 % w].item<float>(), l.rowBase(g, i1 / w) + i1 % w);
            e.offerMin(b[g][i2 / w][i2 % w].item<float>(), l.rowBase(g, i2 / w) + i2 % w);
        }
        const auto [seg, d] = s.record(e);
        if (step == o.maxSteps) break;
        b[seg] = b[seg].mm(swapped(s.rot32[seg], d));
        s.steps.emplace_back(seg, d);
    }
    return assemble(l, s.rot64, s.swaps(), s.peaks);
}

} // namespace ol
