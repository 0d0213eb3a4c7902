#pragma once
// Whether this test (and, in the sanitizer presets, the CLI it starts) is built with AddressSanitizer or
// ThreadSanitizer: there shadow memory, the allocation quarantine and the instrumented code are what
// peak-memory and latency bounds would measure, so those bounds are checked in the ordinary build only.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#if defined(__SANITIZE_THREAD__)
inline constexpr bool kThreadSanitizer = true;
#else
inline constexpr bool kThreadSanitizer = false;
#endif
inline constexpr bool kSanitizerBuild = kAddressSanitizer || kThreadSanitizer;
