#pragma once
// Our own threads each running one BLAS product at a time (the greedy search splits its rows over the
// cores): the BLAS must then not start threads of its own, or both sets fight for the same cores (measured:
// 2 threads each calling a 2-thread OpenBLAS are slower than one thread alone). While a SerialBlas lives,
// BLAS calls run single-threaded: MKL per calling thread (mkl_set_num_threads_local), OpenBLAS process-wide
// (openblas_set_num_threads; nested and concurrent scopes are counted, the last one out restores the count).
// Other threads' BLAS calls meanwhile run serial too with OpenBLAS: slower, never different results.
// Looked up at run time, so the same code builds against Debian's OpenBLAS LibTorch and an MKL one.
namespace ol {

class SerialBlas {
public:
    SerialBlas();
    ~SerialBlas();
    SerialBlas(const SerialBlas&) = delete;
    SerialBlas& operator=(const SerialBlas&) = delete;

    // Which BLAS the process has, for reports: "openblas", "mkl" or "unknown" (then nothing is changed).
    static const char* backend();

private:
    int m_mklPrevious = -1;
};

} // namespace ol
