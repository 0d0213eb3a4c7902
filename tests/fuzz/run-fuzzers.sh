#!/usr/bin/env bash
# Runs every fuzz target of a fuzz build for SECONDS each (default 30), from its
# committed seed corpus (new inputs go to a scratch copy, not into the repo),
# and prints one line per target: executions, executions per second, result.
#   cmake --preset fuzz && cmake --build --preset fuzz
#   tests/fuzz/run-fuzzers.sh [SECONDS] [BUILD_DIR]
set -uo pipefail
seconds=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
build=${2:-$here/../../build/fuzz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_odr_violation=0:suppressions=$here/../sanitizers/asan.supp"
export LSAN_OPTIONS="suppressions=$here/../sanitizers/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$here/../sanitizers/ubsan.supp"
failed=0
printf '%-20s %10s %8s  %s\n' target execs exec/s result
for bin in "$build"/tests/fuzz/fuzz-*; do
  name=${bin##*/fuzz-}
  mkdir -p "$work/$name"
  cp -r "$here/corpus/$name/." "$work/$name/" 2>/dev/null
  log="$work/$name.log"
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -artifact_prefix="$work/$name-" "$work/$name" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'Done [0-9]* runs' "$log" | awk '{print $2}')
  rate=$(grep -o 'exec/s: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  if [ $rc -eq 0 ]; then result=ok; else result="FAILED (rc $rc)"; failed=1; fi
  printf '%-20s %10s %8s  %s\n' "$name" "${execs:-?}" "${rate:-?}" "$result"
  if [ $rc -ne 0 ]; then
    grep -E 'ERROR|SUMMARY|fuzz property|terminate|what\(\)' "$log" | head -20
    mkdir -p "$here/../../build/fuzz-artifacts" && cp "$work/$name"-* "$here/../../build/fuzz-artifacts/" 2>/dev/null
  fi
done
exit $failed
