#include "core/calib/pythonrandom.h"

#include "core/errors.h"

#include <vector>

namespace ol {

void PythonRandom::initGenrand(std::uint32_t s) {
    m_state[0] = s;
    for (int i = 1; i < 624; ++i)
        m_state[i] = 1812433253U * (m_state[i - 1] ^ (m_state[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
    m_index = 624;
}

PythonRandom::PythonRandom(std::uint64_t seed) {
    // CPython splits |seed| into 32-bit words, least significant first (at least one word).
    std::vector<std::uint32_t> key;
    do {
        key.push_back(static_cast<std::uint32_t>(seed & 0xffffffffU));
        seed >>= 32;
    } while (seed);
    initGenrand(19650218U);
    int i = 1, j = 0;
    const int keyLength = static_cast<int>(key.size());
    for (int k = std::max(624, keyLength); k; --k) {
        m_state[i] =
            (m_state[i] ^ ((m_state[i - 1] ^ (m_state[i - 1] >> 30)) * 1664525U)) + key[j] + static_cast<std::uint32_t>(j);
        ++i;
        ++j;
        if (i >= 624) {
            m_state[0] = m_state[623];
            i = 1;
        }
        if (j >= keyLength) j = 0;
    }
    for (int k = 623; k; --k) {
        m_state[i] = (m_state[i] ^ ((m_state[i - 1] ^ (m_state[i - 1] >> 30)) * 1566083941U)) - static_cast<std::uint32_t>(i);
        ++i;
        if (i >= 624) {
            m_state[0] = m_state[623];
            i = 1;
        }
    }
    m_state[0] = 0x80000000U;
    m_index = 624;
}

std::uint32_t PythonRandom::next32() {
    if (m_index >= 624) {
        for (int k = 0; k < 624; ++k) {
            const std::uint32_t y = (m_state[k] & 0x80000000U) | (m_state[(k + 1) % 624] & 0x7fffffffU);
            m_state[k] = m_state[(k + 397) % 624] ^ (y >> 1) ^ ((y & 1U) ? 0x9908b0dfU : 0U);
        }
        m_index = 0;
    }
    std::uint32_t y = m_state[m_index++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= y >> 18;
    return y;
}

std::uint64_t PythonRandom::getrandbits(int k) {
    if (k <= 0 || k > 64) throw UsageError("getrandbits: k must be in 1..64");
    if (k <= 32) return next32() >> (32 - k);
    // CPython fills 32-bit words least significant first; the last word is shifted.
    const std::uint64_t low = next32();
    const std::uint64_t high = next32() >> (64 - k);
    return low | (high << 32);
}

std::int64_t PythonRandom::randint(std::int64_t a, std::int64_t b) {
    if (b < a) throw UsageError("randint: empty range");
    const std::uint64_t n = static_cast<std::uint64_t>(b - a) + 1;
    int bits = 0;
    for (std::uint64_t v = n; v; v >>= 1) ++bits;
    std::uint64_t r = getrandbits(bits);
    while (r >= n) r = getrandbits(bits);
    return a + static_cast<std::int64_t>(r);
}

} // namespace ol
