#pragma once
// OL_VECTOR_CLONES: a function compiled for x86-64-v4 (AVX-512), x86-64-v3 (AVX2 with FMA) and the baseline,
// the version chosen at load time by an ifunc resolver. Under ThreadSanitizer the resolver would run
// instrumented code while the dynamic loader relocates the library, before TSan exists (a crash at load),
// so that build compiles the baseline only.
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
#define OL_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define OL_VECTOR_CLONES
#endif
