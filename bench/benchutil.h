#pragma once
// Measuring helpers shared by the benchmark programs.
#include <chrono>
#include <fstream>
#include <string>

namespace ol::bench {

// Peak resident set size of this process so far (Linux VmHWM), in GB.
inline double peakRssGb() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0 / 1024.0;
    return 0;
}

// Linux: writing 5 to clear_refs resets the peak RSS, so each row can report its own peak.
inline void resetPeakRss() { std::ofstream("/proc/self/clear_refs") << "5"; }

inline double seconds(std::chrono::steady_clock::time_point since) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

} // namespace ol::bench
