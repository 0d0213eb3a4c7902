#include "core/io/spilltensor.h"

#include "core/errors.h"
#include "core/io/syserror.h"

#include <ATen/ATen.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/mman.h>
#include <unistd.h>

namespace ol {

namespace {

struct Mapping {
    void* address = nullptr;
    std::size_t length = 0;
};

void unmap(void* context) {
    auto* m = static_cast<Mapping*>(context);
    if (m->address) ::munmap(m->address, m->length);
    delete m;
}

std::string spillDirectory(const SpillPolicy& p) {
    return p.directory.empty() ? std::filesystem::temp_directory_path().string() : p.directory;
}

} // namespace

SpillMode parseSpillMode(const std::string& text, const std::string& flag) {
    if (text == "auto") return SpillMode::Auto;
    if (text == "always") return SpillMode::Always;
    if (text == "never") return SpillMode::Never;
    throw UsageError(flag + " " + text + ": expected auto, always or never");
}

bool SpillPolicy::spills(std::int64_t bytes) const {
    if (mode == SpillMode::Always) return true;
    if (mode == SpillMode::Never) return false;
    return budgetBytes > 0 && bytes > budgetBytes;
}

at::Tensor allocateActivations(const std::vector<std::int64_t>& shape, c10::ScalarType dtype, const SpillPolicy& policy,
                               c10::Device device) {
    if (!device.is_cpu()) return at::empty(shape, at::TensorOptions().dtype(dtype).device(device));
    std::int64_t elements = 1;
    for (auto d : shape) elements *= d;
    const auto bytes = static_cast<std::size_t>(elements) * c10::elementSize(dtype);
    if (!policy.spills(static_cast<std::int64_t>(bytes)) || bytes == 0) return at::empty(shape, at::TensorOptions().dtype(dtype));
    const std::string dir = spillDirectory(policy);
    // O_TMPFILE: a file with no name, gone when the last mapping closes, even after a kill -9.
    const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        throw RuntimeFailure(dir + ": cannot create a spill file for " + std::to_string(bytes >> 20) +
                             " MiB of calibration activations: " + systemMessage(errno) + " (choose another `spill_dir`)");
    // posix_fallocate reserves the blocks now: a full disk is an error here, not a SIGBUS later.
    if (const int err = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes)); err != 0) {
        ::close(fd);
        throw RuntimeFailure(dir + ": no room for a spill file of " + std::to_string(bytes >> 20) +
                             " MiB of calibration activations: " + systemMessage(err) + " (choose another `spill_dir`)");
    }
    void* address = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const int mapErr = errno;
    ::close(fd);
    if (address == MAP_FAILED) throw RuntimeFailure(dir + ": cannot map the spill file: " + systemMessage(mapErr));
    auto* context = new Mapping{address, bytes};
    c10::DataPtr data(address, context, &unmap, c10::Device(c10::kCPU));
    c10::Storage storage(c10::Storage::use_byte_size_t(), bytes, std::move(data), nullptr, false);
    return at::empty({0}, at::TensorOptions().dtype(dtype)).set_(storage, 0, shape);
}

bool isSpilled(const at::Tensor& t) { return t.defined() && t.has_storage() && t.storage().data_ptr().get_deleter() == &unmap; }

void releaseResident(const at::Tensor& slice) {
    if (!isSpilled(slice) || !slice.is_contiguous() || slice.numel() == 0) return;
    static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto begin = reinterpret_cast<std::uintptr_t>(slice.data_ptr());
    const auto end = begin + slice.nbytes();
    // Whole pages inside the slice only: a page shared with a neighbouring slice may still be in use.
    const auto from = (begin + page - 1) & ~(page - 1), to = end & ~(page - 1);
    if (to > from) ::madvise(reinterpret_cast<void*>(from), to - from, MADV_DONTNEED);
}

} // namespace ol
