#pragma once
// Seeded k-means (k-means++ initialisation, Lloyd iterations, several
// restarts, the lowest inertia kept) on a few thousand low-dimensional points,
// and RPTQ's use of it: channels clustered by their (max, min) statistics and
// laid out cluster by cluster (algorithms.md §3.2). Plain C++ on doubles with
// its own uniform draws, so the result depends only on the points and the seed.
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

namespace ol {

struct KMeansOptions {
    int clusters = 8;
    int restarts = 10; // scikit-learn's n_init
    int maxIterations = 300;
    std::uint64_t seed = 0;
};

struct KMeansResult {
    std::vector<int> labels; // [N], 0..clusters-1, every cluster non-empty
    double inertia = 0;      // sum of squared distances to the cluster centres
};

// points: [N, D] (any float dtype). UsageError when clusters < 1 or clusters > N.
KMeansResult kmeans(const at::Tensor& points, const KMeansOptions& options);

// Channels in cluster order: order[new] = old channel; clusters ranked by their smallest channel index,
// channels inside a cluster in their original order (so the layout does not depend on label numbering).
struct ChannelClusters {
    at::Tensor order;                // int64 [C]
    std::vector<std::int64_t> sizes; // channels per cluster, in layout order; sums to C
};

ChannelClusters clusterChannels(const at::Tensor& points, const KMeansOptions& options);
// One cluster holding every channel in its original order (a site whose reorder is off).
ChannelClusters singleCluster(std::int64_t channels);

} // namespace ol
