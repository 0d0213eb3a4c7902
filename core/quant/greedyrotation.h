#pragma once
// DuQuant's greedy block rotation (algorithms.md §1.7.3): repeatedly take the
// largest-magnitude entry of the whole activation, rotate its in-block channel
// d with E_d·Rot·E_d (spreading it over the block), record the range max − min,
// and keep the prefix of steps with the smallest range.
#include "core/quant/blockrotation.h"

#include <cstdint>
#include <vector>

namespace ol {

class GreedySearchMemo;
class Progress;
class RotationStream;

struct GreedyRotationOptions {
    std::int64_t blockSize = 128;
    int maxSteps = 256;           // S
    bool referenceCompat = false; // swap index = (row of the extreme in the [N·C/bs, bs] view) mod bs, as the reference code;
                                  // default: its column within the block (paper). In a ragged tail the row is the token.
    std::uint64_t seed = 2;       // seed of Q in Rot = helmert(bs)·diag(1, Q); the tail's prototype uses seed + 1
    RotationStream* stream = nullptr; // set: Q (then the tail's) drawn from this run-wide stream instead of `seed`
    GreedySearchMemo* memo = nullptr; // set (and no stream): an equal earlier search is reused, a new one kept
};

struct GreedyRotationResult {
    BlockRotation rotation;          // product of the best prefix of steps
    std::vector<double> peaks;       // S + 1 ranges (global max − min, float32 as the search), peaks[0] = no rotation
    int bestPrefix = 0;              // argmin(peaks), first on ties
    std::vector<std::int64_t> swaps; // per step: d for the shared block rotation, fullBlocks·bs + d for the tail's
};

// x [N, C], any float dtype and device; the search runs in float32 on the CPU, rotations accumulate in float64.
// Fast: multiplies only the rows that can still hold an extreme (row norm ≥ min(max, −min)), each through the
// same sequence of float32 products as the straightforward version, so it takes the same steps (values agree
// to float32 rounding: OpenBLAS rounds a row differently depending on how many rows share a product).
GreedyRotationResult greedyBlockRotation(const at::Tensor& x, const GreedyRotationOptions& o, Progress* progress = nullptr);

// The reference algorithm literally: the whole tensor is re-multiplied and reduced every step (bench, test oracle).
GreedyRotationResult greedyBlockRotationStraightforward(const at::Tensor& x, const GreedyRotationOptions& o);

} // namespace ol
