#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy: bugprone, concurrency, performance, modernize-use-override) on every source of
# core, plugins, app and views; fails on any finding. Too slow for every CI run (about 13 CPU-seconds per
# file with LibTorch's headers: ~15 minutes on 2 cores), so it is run by hand:
#   tests/clangtidy.sh [build/release]
# Debian 12's clang cannot parse LibTorch 1.13's headers as C++20 with libstdc++ 12 (constexpr std::vector of
# an incomplete c10::IValue), so the sources are parsed as C++17, without GCC's precompiled headers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build/release}" && pwd)
tidy=$(command -v run-clang-tidy-14 || command -v run-clang-tidy)
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
sed -E 's/ -include [^ ]*cmake_pch\.hxx//g; s/-std=c\+\+20/-std=c++17/g; s/ -Winvalid-pch//g' \
  "$build/compile_commands.json" >"$db/compile_commands.json"
"$tidy" -quiet -p "$db" -j "$(nproc)" "$root/(core|plugins|app|views)/.*\.cpp$"
