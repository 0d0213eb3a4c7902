#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy: bugprone, concurrency, performance, modernize-use-override) on every source of
# core, plugins, app and views; fails on any finding. Too slow for every CI run (about 13 CPU-seconds per
# file with LibTorch's headers: ~15 minutes on 2 cores), so it is run by hand:
#   tests/clangtidy.sh [build/release] [FILE_REGEX]
# clang parses LibTorch 1.13's headers as C++20 only with tests/clang/libstdcxx12-cxx20.h force-included
# (see that header); GCC's precompiled headers are dropped. Optional further arguments: a regex of the files.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build/release}" && pwd)
files=${2:-"$root/(core|plugins|app|views)/.*\.cpp$"}
tidy=$(command -v run-clang-tidy-14 || command -v run-clang-tidy)
db=$(mktemp -d)
trap 'rm -rf "$db"' EXIT
sed -E "s| -include [^ ]*cmake_pch\.hxx||g; s/ -Winvalid-pch//g; \
  s|\"command\": \"([^ ]+) |\"command\": \"\\1 -include $root/tests/clang/libstdcxx12-cxx20.h |" \
  "$build/compile_commands.json" >"$db/compile_commands.json"
"$tidy" -quiet -p "$db" -j "$(nproc)" "$files"
