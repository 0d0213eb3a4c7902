#pragma once
// Calibration activations (every window's hidden state: 4.3 GB in float32 for
// 128 x 2048 x 4096) that may live in a file instead of RAM. A spilled tensor
// is an ordinary float32 tensor whose storage is a shared mapping of an
// unlinked temporary file: code reads and writes it as usual, and once a
// range has been used, releaseResident() drops its pages from the process
// (the kernel keeps or writes back the data, which stays correct), so the
// resident memory stays at the batch being computed. Values are bit-for-bit
// those of an in-memory tensor: spilling never changes a result.
#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ol {

enum class SpillMode { Auto, Always, Never };
// "auto", "always", "never"; UsageError naming `flag` otherwise.
SpillMode parseSpillMode(const std::string& text, const std::string& flag);

struct SpillPolicy {
    SpillMode mode = SpillMode::Auto;
    std::int64_t budgetBytes = 0; // Auto: tensors past this size spill (0: never)
    std::string directory;        // empty: the system's temporary directory
    bool spills(std::int64_t bytes) const;
};

// An empty tensor of `shape`: on a GPU in its memory, on the CPU in RAM or spilled as `policy` decides.
// RuntimeFailure naming the directory when the spill file cannot be made (full disk, not writable).
at::Tensor allocateActivations(const std::vector<std::int64_t>& shape, c10::ScalarType dtype, const SpillPolicy& policy,
                               c10::Device device = c10::Device(c10::kCPU));
// True when `t`'s storage is a spill file.
bool isSpilled(const at::Tensor& t);
// Drops the resident pages of a contiguous slice of a spilled tensor (a no-op for others).
void releaseResident(const at::Tensor& slice);

} // namespace ol
