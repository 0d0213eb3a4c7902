#!/usr/bin/env bash
# Installs everything OutlierLab needs to build, test and run on Debian 12.
# Idempotent: packages already present are skipped by apt.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  # LibTorch 1.13 (CPU) and a threaded OpenBLAS: without libopenblas0-pthread
  # LibTorch falls back to the reference BLAS and matrix products are ~60x slower.
  libtorch-dev libopenblas0-pthread libopenblas-pthread-dev
  # Qt 6 (Widgets, Test, Concurrent, PrintSupport, Svg) and QCustomPlot for Qt 6
  qt6-base-dev qt6-base-dev-tools libqt6svg6-dev libqcustomplot-dev libqcustomplot2.1-qt6
  qt6-qpa-plugins
  # The 3D surface view (Qt Data Visualization; it renders with OpenGL: Mesa under Xvfb)
  # (its CMake package needs Qt OpenGL and Qt Qml found too)
  qt6-datavisualization-dev libqt6opengl6-dev qt6-declarative-dev libgl1-mesa-dri
  # HDF5 C and C++ libraries plus h5dump
  libhdf5-dev hdf5-tools
  # Tokenizers and JSON
  libsentencepiece-dev sentencepiece nlohmann-json3-dev
  # Headless GUI runs and screenshots
  xvfb xauth fonts-dejavu-core
  # The house style (CTest format_check) and the static checks (tests/clangtidy.sh)
  clang-format clang-tidy
  # The fuzz targets (preset fuzz): clang, libFuzzer and clang's OpenMP runtime
  clang libclang-rt-14-dev libomp-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
