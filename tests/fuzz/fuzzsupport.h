#pragma once
// Shared by the libFuzzer targets. Each target feeds bytes to one parser of
// untrusted input. A typed ol::Error is the parser doing its job; anything
// else (another exception escaping, a crash, a sanitizer report, a leak, an
// allocation beyond -malloc_limit_mb, a hang) is a finding.
#include "core/errors.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace olfuzz {

// A private scratch directory (in /dev/shm when there is one, so that writing
// each input costs no disk I/O), removed when the process exits normally.
inline const std::filesystem::path& scratchDir() {
    static const std::filesystem::path dir = [] {
        namespace fs = std::filesystem;
        const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        auto d = base / ("outlierlab-fuzz-" + std::to_string(::getpid()));
        fs::create_directories(d);
        std::atexit([] {
            std::error_code ec;
            std::filesystem::remove_all(scratchDir(), ec);
        });
        return d;
    }();
    return dir;
}

// Writes `size` bytes to `relative` under the scratch directory; returns its path.
inline std::string writeFile(const std::string& relative, const void* data, std::size_t size) {
    const auto path = scratchDir() / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) {
        std::fprintf(stderr, "fuzz harness: cannot write %s\n", path.c_str());
        std::abort();
    }
    return path.string();
}

inline std::string writeFile(const std::string& relative, const std::string& text) {
    return writeFile(relative, text.data(), text.size());
}

// Runs the parser; its typed errors are the expected outcome for bad input.
template <class F> void expectTypedErrors(F&& parse) {
    try {
        parse();
    } catch (const ol::Error&) {
    }
}

// A property that must hold for every input the parser accepted.
inline void require(bool holds, const char* what) {
    if (!holds) {
        std::fprintf(stderr, "fuzz property violated: %s\n", what);
        std::abort();
    }
}

} // namespace olfuzz
