#!/bin/bash
# Run ON THE LENT GPU MACHINE (issue 15), from the repository root, with packaging/device-deps carried there
# (made here by packaging/collect-device-deps.sh). Needs only CUDA, CMake, ninja and PyTorch: unpacks the
# Debian packages into a private prefix, builds core + CLI + plugins + tests + benches (no GUI) against the
# LibTorch inside PyTorch, runs the CUDA tests (CTest label cuda) and times the CLI on the GPU against the
# CPU. Everything lands in one folder ($OUT on the device machine, else build/device-check): log.txt, the
# CTest output, cuda-parity/ (every CLI run's JSON) and results.json. Budget: about 8 minutes.
set -uo pipefail
root=$PWD
out=${OUT:-$root/build/device-check}
mkdir -p "$out"
exec > >(tee -a "$out/log.txt") 2>&1
start=$(date +%s)
stamp() { echo "[$(($(date +%s) - start)) s] $*"; }

stamp "1. the private prefix from packaging/device-deps"
prefix=$root/build/device-prefix
rm -rf "$prefix" && mkdir -p "$prefix"
ls packaging/device-deps/*.deb >/dev/null || { echo "packaging/device-deps is empty: run packaging/collect-device-deps.sh first"; exit 2; }
for deb in packaging/device-deps/*.deb; do
    if command -v dpkg-deb >/dev/null; then
        dpkg-deb -x "$deb" "$prefix"
    else # a .deb is an ar archive whose data.tar.* holds the files
        tmp=$(mktemp -d) && (cd "$tmp" && ar x "$root/$deb") && tar -xf "$tmp"/data.tar.* -C "$prefix" && rm -rf "$tmp"
    fi
done
lib=$prefix/usr/lib/x86_64-linux-gnu
export LD_LIBRARY_PATH=$lib:$lib/hdf5/serial:${LD_LIBRARY_PATH:-}

stamp "2. LibTorch from PyTorch"
torch_prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
export LD_LIBRARY_PATH=$(dirname "$torch_prefix")/../lib:$LD_LIBRARY_PATH

stamp "3. configure and build (no GUI)"
cmake -G Ninja -S . -B build/device -DCMAKE_BUILD_TYPE=Release -DOUTLIERLAB_BUILD_GUI=OFF \
    -DCMAKE_PREFIX_PATH="$torch_prefix;$lib/cmake;$prefix/usr" \
    -DHDF5_C_INCLUDE_DIR="$prefix/usr/include/hdf5/serial" -DHDF5_C_LIBRARY_hdf5="$lib/hdf5/serial/libhdf5.so" \
    -DQT_HOST_PATH="$prefix/usr" >"$out/configure.txt" 2>&1 || { tail -40 "$out/configure.txt"; exit 1; }
grep -E "LibTorch|CUDA" "$out/configure.txt"
cmake --build build/device -j "$(nproc)" >"$out/build.txt" 2>&1 || { grep -E "error|Error" "$out/build.txt" | head -40; exit 1; }
build/device/app/cli/outlierlab-cli --version | tee "$out/version.txt"

stamp "4. CUDA tests"
(cd build/device && ctest -L cuda --output-on-failure) >"$out/ctest-cuda.txt" 2>&1
cuda_rc=$?
cp -r build/device/tests/output/cuda-parity "$out/" 2>/dev/null
tail -30 "$out/ctest-cuda.txt"

stamp "5. timings: the CLI on cuda and on cpu"
cli=build/device/app/cli/outlierlab-cli
for dev in cuda cpu; do
    $cli eval --device "$dev" --json --quiet >"$out/time-eval-$dev.json" 2>>"$out/timings.err"
    $cli quantize --method duquant --wbits 4 --abits 4 --eval_ppl --device "$dev" --json --quiet \
        >"$out/time-duquant-$dev.json" 2>>"$out/timings.err"
done

stamp "6. results.json"
python3 - "$out" "$cuda_rc" <<'PY'
import json, os, sys
out, rc = sys.argv[1], int(sys.argv[2])
def load(name):
    try: return json.load(open(os.path.join(out, name)))
    except Exception as e: return {"error": str(e)}
summary = open(os.path.join(out, "cuda-parity", "summary.txt")).read().splitlines() if os.path.exists(os.path.join(out, "cuda-parity", "summary.txt")) else []
res = {"version": open(os.path.join(out, "version.txt")).read().strip(), "cuda_tests_exit": rc, "cuda_parity": summary,
       "timings": {k: {"seconds": load(f"time-{k}.json").get("seconds"), "ppl": load(f"time-{k}.json").get("ppl", load(f"time-{k}.json").get("quant_ppl"))}
                   for k in ["eval-cuda", "eval-cpu", "duquant-cuda", "duquant-cpu"]}}
json.dump(res, open(os.path.join(out, "results.json"), "w"), indent=1)
print(json.dumps(res, indent=1))
PY
stamp "done"
exit $cuda_rc
