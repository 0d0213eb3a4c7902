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
