#include "core/quant/kmeans.h"

#include "core/errors.h"

#include <ATen/ATen.h>
#include <algorithm>
#include <limits>
#include <numeric>
#include <random>

namespace ol {

namespace {

// Uniform in [0, 1) from the top 53 bits (std::uniform_real_distribution is not the same everywhere).
double uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

struct Points {
    std::vector<double> v;
    std::int64_t n = 0, d = 0;
    const double* at(std::int64_t i) const { return v.data() + i * d; }
};

double dist2(const double* a, const double* b, std::int64_t d) {
    double s = 0;
    for (std::int64_t j = 0; j < d; ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

// k-means++: the first centre uniformly, each next one with probability proportional to D².
std::vector<double> initialCentres(const Points& p, int k, std::mt19937_64& rng) {
    std::vector<double> centres;
    std::vector<char> chosen(p.n, 0);
    auto take = [&](std::int64_t i) {
        chosen[i] = 1;
        centres.insert(centres.end(), p.at(i), p.at(i) + p.d);
    };
    take(static_cast<std::int64_t>(uniform(rng) * p.n));
    std::vector<double> best(p.n, std::numeric_limits<double>::infinity());
    for (int c = 1; c < k; ++c) {
        const double* last = centres.data() + (c - 1) * p.d;
        double total = 0;
        for (std::int64_t i = 0; i < p.n; ++i) total += (best[i] = std::min(best[i], dist2(p.at(i), last, p.d)));
        std::int64_t pick = -1;
        if (total > 0) {
            double r = uniform(rng) * total;
            for (std::int64_t i = 0; i < p.n && pick < 0; ++i)
                if (best[i] > 0 && (r -= best[i]) < 0) pick = i;
            if (pick < 0) // rounding at the end of the sum
                for (std::int64_t i = p.n - 1; i >= 0 && pick < 0; --i)
                    if (best[i] > 0) pick = i;
        } else {
            // Fewer distinct points than clusters: duplicates become centres (the clusters are split below).
            for (std::int64_t i = 0; i < p.n && pick < 0; ++i)
                if (!chosen[i]) pick = i;
        }
        take(pick);
    }
    return centres;
}

KMeansResult lloyd(const Points& p, std::vector<double> centres, int k, int maxIterations) {
    std::vector<int> labels(p.n, -1);
    std::vector<double> d2(p.n, 0);
    for (int it = 0; it < maxIterations; ++it) {
        bool changed = false;
        for (std::int64_t i = 0; i < p.n; ++i) {
            int bestC = 0;
            double bestD = std::numeric_limits<double>::infinity();
            for (int c = 0; c < k; ++c) {
                const double dd = dist2(p.at(i), centres.data() + c * p.d, p.d);
                if (dd < bestD) bestD = dd, bestC = c;
            }
            if (labels[i] != bestC) changed = true;
            labels[i] = bestC;
            d2[i] = bestD;
        }
        // No empty cluster: it takes the point farthest from its centre among clusters of two or more.
        std::vector<std::int64_t> count(k, 0);
        for (int l : labels) ++count[l];
        for (int c = 0; c < k; ++c) {
            if (count[c] > 0) continue;
            std::int64_t far = -1;
            for (std::int64_t i = 0; i < p.n; ++i)
                if (count[labels[i]] > 1 && (far < 0 || d2[i] > d2[far])) far = i;
            --count[labels[far]];
            labels[far] = c;
            d2[far] = 0;
            count[c] = 1;
            changed = true;
        }
        std::vector<double> sum(static_cast<std::size_t>(k) * p.d, 0.0);
        for (std::int64_t i = 0; i < p.n; ++i)
            for (std::int64_t j = 0; j < p.d; ++j) sum[labels[i] * p.d + j] += p.at(i)[j];
        for (int c = 0; c < k; ++c)
            for (std::int64_t j = 0; j < p.d; ++j) centres[c * p.d + j] = sum[c * p.d + j] / count[c];
        if (!changed) break;
    }
    KMeansResult r;
    r.labels = labels;
    for (std::int64_t i = 0; i < p.n; ++i) r.inertia += dist2(p.at(i), centres.data() + labels[i] * p.d, p.d);
    return r;
}

} // namespace

KMeansResult kmeans(const at::Tensor& points, const KMeansOptions& o) {
    if (points.dim() != 2) throw UsageError("kmeans: points must be [N, D]");
    Points p;
    p.n = points.size(0);
    p.d = points.size(1);
    if (o.clusters < 1 || o.clusters > p.n)
        throw UsageError("kmeans: " + std::to_string(o.clusters) + " clusters for " + std::to_string(p.n) + " points");
    if (o.restarts < 1) throw UsageError("kmeans: restarts must be at least 1");
    const auto c = points.detach().to(at::kDouble).contiguous().cpu();
    p.v.assign(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
    KMeansResult best;
    best.inertia = std::numeric_limits<double>::infinity();
    for (int r = 0; r < o.restarts; ++r) {
        std::mt19937_64 rng(o.seed + 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(r));
        auto result = lloyd(p, initialCentres(p, o.clusters, rng), o.clusters, o.maxIterations);
        if (result.inertia < best.inertia) best = std::move(result); // ties keep the earlier restart
    }
    return best;
}

ChannelClusters clusterChannels(const at::Tensor& points, const KMeansOptions& o) {
    const auto labels = kmeans(points, o).labels;
    const auto n = static_cast<std::int64_t>(labels.size());
    // Rank clusters by their first channel.
    std::vector<std::int64_t> first(o.clusters, n);
    for (std::int64_t i = n - 1; i >= 0; --i) first[labels[i]] = i;
    std::vector<int> byFirst(o.clusters);
    std::iota(byFirst.begin(), byFirst.end(), 0);
    std::sort(byFirst.begin(), byFirst.end(), [&](int a, int b) { return first[a] < first[b]; });
    ChannelClusters out;
    std::vector<std::int64_t> order;
    order.reserve(n);
    for (int c : byFirst) {
        std::int64_t size = 0;
        for (std::int64_t i = 0; i < n; ++i)
            if (labels[i] == c) order.push_back(i), ++size;
        out.sizes.push_back(size);
    }
    out.order = at::tensor(order, at::kLong);
    return out;
}

ChannelClusters singleCluster(std::int64_t channels) { return {at::arange(channels, at::kLong), {channels}}; }

} // namespace ol
