#include "core/serialblas.h"

#include <dlfcn.h>
#include <mutex>

namespace ol {
namespace {

using SetThreads = void (*)(int);
using GetThreads = int (*)();
using SetLocal = int (*)(int);

struct BlasEntryPoints {
    SetThreads openblasSet = nullptr;
    GetThreads openblasGet = nullptr;
    SetLocal mklSetLocal = nullptr;

    BlasEntryPoints() {
        // NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast): dlsym returns void*
        openblasSet = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
        openblasGet = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
        mklSetLocal = reinterpret_cast<SetLocal>(dlsym(RTLD_DEFAULT, "mkl_set_num_threads_local"));
        // NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)
        if (!openblasGet) openblasSet = nullptr;
    }
};

const BlasEntryPoints& blas() {
    static const BlasEntryPoints entryPoints;
    return entryPoints;
}

// OpenBLAS's thread count is process-wide: the first scope saves it, the last restores it.
std::mutex openblasMutex;
int openblasScopes = 0;
int openblasSaved = 1;

} // namespace

SerialBlas::SerialBlas() {
    const auto& b = blas();
    if (b.mklSetLocal) m_mklPrevious = b.mklSetLocal(1);
    if (b.openblasSet) {
        const std::lock_guard lock(openblasMutex);
        if (openblasScopes++ == 0) {
            openblasSaved = b.openblasGet();
            if (openblasSaved != 1) b.openblasSet(1);
        }
    }
}

SerialBlas::~SerialBlas() {
    const auto& b = blas();
    if (b.mklSetLocal && m_mklPrevious >= 0) b.mklSetLocal(m_mklPrevious);
    if (b.openblasSet) {
        const std::lock_guard lock(openblasMutex);
        if (--openblasScopes == 0 && openblasSaved != 1) b.openblasSet(openblasSaved);
    }
}

const char* SerialBlas::backend() {
    const auto& b = blas();
    return b.openblasSet ? "openblas" : b.mklSetLocal ? "mkl" : "unknown";
}

} // namespace ol
