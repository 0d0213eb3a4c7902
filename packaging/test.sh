#!/usr/bin/env bash
# Installs the dependencies, builds everything and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./packaging/install-deps.sh
jobs=$(nproc)
cmake --preset release
cmake --build --preset release -j "$jobs"
# Tests share the cores: LibTorch in each test uses every core already.
QT_QPA_PLATFORM=offscreen ctest --preset release -j 2
# Every fuzz target for 30 s (tests/fuzz/README.md): a second, clang build of the core with ASan, UBSan and
# libFuzzer's coverage, only what the targets need.
cmake --preset fuzz
cmake --build --preset fuzz -j "$jobs" --target fuzzers
OL_FUZZ_SEED=1 tests/fuzz/run-fuzzers.sh 30 build/fuzz 2
