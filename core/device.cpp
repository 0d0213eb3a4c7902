#include "core/device.h"

#include "core/errors.h"
#include "core/serialblas.h"
#include "core/version.h"

#include <ATen/Parallel.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <cstdlib>
#include <malloc.h>
#include <thread>
#include <unistd.h>

namespace ol {

int cudaDeviceCount() {
    if (!at::detail::getCUDAHooks().hasCUDA()) return 0;
    return at::detail::getCUDAHooks().getNumGPUs();
}

c10::Device parseDevice(const std::string& text) {
    if (text.empty() || text == "auto")
        return cudaDeviceCount() > 0 ? c10::Device(c10::DeviceType::CUDA, 0) : c10::Device(c10::kCPU);
    if (text == "cpu") return c10::Device(c10::kCPU);
    if (text.rfind("cuda", 0) == 0) {
        int index = 0;
        if (text.size() > 4) {
            if (text[4] != ':' || text.size() == 5) throw UsageError("`device`: '" + text + "' is not cpu, cuda, cuda:N or auto");
            try {
                index = std::stoi(text.substr(5));
            } catch (const std::exception&) {
                throw UsageError("`device`: '" + text + "' has no valid GPU index");
            }
        }
        const int count = cudaDeviceCount();
        if (count == 0)
            throw UsageError("`device` " + text + ": this LibTorch has no CUDA support or no GPU is present; use `device` cpu");
        if (index < 0 || index >= count)
            throw UsageError("`device` " + text + ": only " + std::to_string(count) + " GPU(s) present");
        return c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(index));
    }
    throw UsageError("`device`: '" + text + "' is not cpu, cuda, cuda:N or auto");
}

void configureThreads() {
    int threads = static_cast<int>(std::thread::hardware_concurrency());
    // Read once at start-up, before any thread of ours exists.
    if (const char* env = std::getenv("OUTLIERLAB_THREADS")) threads = std::atoi(env); // NOLINT(concurrency-mt-unsafe)
    if (threads < 1) threads = 1;
    if (at::get_num_threads() != threads) at::set_num_threads(threads);
}

void configureProcess(char** argv) {
    // Why these two numbers: device.h.
    // First thing in main(), single-threaded: the environment and malloc's settings are safe to change here.
    ::mallopt(M_MMAP_THRESHOLD, 4 << 20);                  // NOLINT(concurrency-mt-unsafe)
    ::mallopt(M_TRIM_THRESHOLD, 32 << 20);                 // NOLINT(concurrency-mt-unsafe)
    if (std::getenv("OMP_WAIT_POLICY") != nullptr) return; // NOLINT(concurrency-mt-unsafe)
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);             // NOLINT(concurrency-mt-unsafe)
    ::execv("/proc/self/exe", argv);                       // returns only when it failed: run on as we are
}

std::string describeBuild() {
    const bool cuda = at::detail::getCUDAHooks().hasCUDA() || std::string(OUTLIERLAB_TORCH_CUDA_BUILD) == "ON";
    const int gpus = cudaDeviceCount();
    return std::string("LibTorch ") + OUTLIERLAB_TORCH_VERSION + (cuda ? " with CUDA" : " (CPU only)") + ", BLAS " +
           SerialBlas::backend() + ", " +
           (gpus == 0 ? std::string("no CUDA device") : std::to_string(gpus) + " CUDA device" + (gpus > 1 ? "s" : ""));
}

std::string describeDevice(const c10::Device& device) {
    if (device.is_cpu()) return "cpu (" + std::to_string(at::get_num_threads()) + " threads)";
    return device.str();
}

} // namespace ol
