#pragma once
// Fake quantization of float32 rows in one pass per group (min and max, then the grid), without the seven
// intermediate tensors of the tensor-op version. It performs the same IEEE float32 operations in the same
// order as fakeQuantize's tensor ops, so its results are bit-identical (tested); fakeQuantize uses it when
// no gradient and no LWC factor is involved.
#include <cstdint>

namespace ol {

struct FakeQuantGrid {
    int bits = 4;
    bool symmetric = false;
    float clip = 1.0f; // applied to the group's min and max when not 1
};

// x and out: float32, `rows · groups` groups of `groupSize` contiguous values (out may alias x).
void fakeQuantizeGroups(const float* x, float* out, std::int64_t groups, std::int64_t groupSize, const FakeQuantGrid& grid);

} // namespace ol
