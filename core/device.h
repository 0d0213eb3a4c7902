#pragma once
// Device selection and LibTorch thread set-up. Code never assumes a GPU:
// "auto" means CUDA only when the linked LibTorch has it and a GPU is present.
#include <c10/core/Device.h>
#include <string>

namespace ol {

// Parses "cpu", "cuda", "cuda:N" or "auto". Throws UsageError naming --device
// when CUDA is asked for but unavailable, or the text is not a device.
c10::Device parseDevice(const std::string& text);

// Number of CUDA devices usable by the linked LibTorch (0 on CPU builds).
int cudaDeviceCount();

// LibTorch defaults to one intra-op thread in some set-ups; use every core
// (or OUTLIERLAB_THREADS when set). Safe to call more than once.
void configureThreads();

// First thing in a program's main(), for heavy numeric work:
// - OpenMP's idle threads spin for a long while after each parallel region and starve OpenBLAS's own
//   threads (the bundled model's perplexity, before the fused attention: 3.3 s spinning, 1.15 s passive). libgomp reads its
//   wait policy once, when it is loaded, so unless OMP_WAIT_POLICY is set this sets it to PASSIVE and
//   executes the program again (once; ~0.3 s).
// - Tensors of 4 MiB and more are mapped and unmapped by malloc, never kept in its heap: glibc's default
//   (a threshold that grows to 32 MiB) let freed layer-sized tensors pile up in the heap (a 0.9 GB
//   model's quantization peaked at 1.78 GB instead of 1.31 GB). Smaller ones stay in the heap, which keeps
//   up to 32 MiB free at its top: returning and re-faulting it on every forward cost the bundled model's
//   evaluation 40% (bench_forward 1.58 s -> 0.93 s).
void configureProcess(char** argv);

// What the program runs on, for --version and reports: "LibTorch 1.13.0 (CPU only), BLAS openblas, no CUDA
// device" or "LibTorch 2.11.0 with CUDA, BLAS mkl, 1 CUDA device".
std::string describeBuild();

// One line for logs: "cpu (2 threads)" or "cuda:0 (NVIDIA H100)".
std::string describeDevice(const c10::Device& device);

} // namespace ol
