#pragma once
// Device selection and LibTorch thread set-up. Code never assumes a GPU:
// "auto" means CUDA only when the linked LibTorch has it and a GPU is present.
#include <c10/core/Device.h>
#include <string>

#define OUTLIERLAB_VERSION_STRING "0.1.0"

namespace ol {

// Parses "cpu", "cuda", "cuda:N" or "auto". Throws UsageError naming --device
// when CUDA is asked for but unavailable, or the text is not a device.
c10::Device parseDevice(const std::string& text);

// Number of CUDA devices usable by the linked LibTorch (0 on CPU builds).
int cudaDeviceCount();

// LibTorch defaults to one intra-op thread in some set-ups; use every core
// (or OUTLIERLAB_THREADS when set). Safe to call more than once.
void configureThreads();

// One line for logs: "cpu (2 threads)" or "cuda:0 (NVIDIA H100)".
std::string describeDevice(const c10::Device& device);

} // namespace ol
