#pragma once
// CPython's `random` module (MT19937 seeded by init_by_array, randint via
// getrandbits rejection sampling), so that calibration windows drawn with
// `random.seed(s); random.randint(0, N - L - 1)` match the reference
// projects' windows exactly (algorithms.md §1.5, §1.14 item 8).
#include <array>
#include <cstdint>

namespace ol {

class PythonRandom {
public:
    explicit PythonRandom(std::uint64_t seed);
    // random.getrandbits(k) for 1 <= k <= 64.
    std::uint64_t getrandbits(int k);
    // random.randint(a, b), both ends inclusive.
    std::int64_t randint(std::int64_t a, std::int64_t b);

private:
    std::uint32_t next32();
    void initGenrand(std::uint32_t s);

    std::array<std::uint32_t, 624> m_state{};
    int m_index = 625;
};

} // namespace ol
