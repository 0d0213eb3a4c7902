#!/bin/bash
# CUDA against CPU through the real CLI (CTest label `cuda`, issue 15): the golden perplexity, calibration
# statistics, every method's W4A4 and W6A6 perplexity on the bundled and the planted model, a run started
# on the CPU and resumed on the GPU, and a GPU run's export evaluated on the CPU.
# Usage: cuda-parity.sh CLI OUTDIR. Exits 77 (CTest: skipped) with the reason when no GPU can be used.
# Tolerances: perplexity 1e-5 relative for the FP model (float32 on both, different kernels); 0.5% for the
# quantized models (a rounding step of a 4-bit grid moves with a last-bit difference in the transform).
set -u -o pipefail
cli=$1
out=$2
rm -rf "$out" && mkdir -p "$out"
fail=0
note() { printf '%s\n' "$*" | tee -a "$out/summary.txt"; }

if ! "$cli" eval --device cuda --nsamples 1 --quiet --json >/dev/null 2>"$out/probe.err"; then
    echo "SKIPPED: no usable CUDA device: $(head -1 "$out/probe.err")"
    exit 77
fi

# field FILE PATH... : a number from a --json output (python3 is on every machine that has PyTorch)
field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2:]: d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$@"; }
# close A B TOL WHAT : |A/B - 1| <= TOL
close() {
    if python3 -c 'import sys; a,b,t=map(float,sys.argv[1:4]); sys.exit(0 if abs(a/b-1)<=t else 1)' "$1" "$2" "$3"; then
        note "ok    $4: cpu $2, cuda $1 (tolerance $3)"
    else
        note "FAIL  $4: cpu $2, cuda $1 (tolerance $3)"; fail=1
    fi
}
run() { # name args... : the CLI's JSON into $out/name.json, its stderr beside it
    local name=$1 rc=0; shift
    local quiet=(--quiet)
    [ "$1" = inspect ] && quiet=()
    "$cli" "$@" --json "${quiet[@]}" >"$out/$name.json" 2>"$out/$name.err" || rc=$?
    if [ $rc != 0 ]; then
        note "FAIL  $name: exit $rc ($(tail -1 "$out/$name.err"))"; fail=1; return 1
    fi
}

# 1. The FP model: golden perplexity on both devices.
run eval-cpu eval --device cpu && run eval-cuda eval --device cuda &&
    close "$(field "$out/eval-cuda.json" ppl)" "$(field "$out/eval-cpu.json" ppl)" 1e-5 "FP perplexity"

# 2. Calibration statistics: every number of every site's outlier report (absmax, medians, kurtosis, top values).
run calib-cpu calibrate --device cpu --out "$out/cpu.h5" && run calib-cuda calibrate --device cuda --out "$out/cuda.h5" &&
    run inspect-cpu inspect "$out/cpu.h5" && run inspect-cuda inspect "$out/cuda.h5" &&
    python3 - "$out/inspect-cpu.json" "$out/inspect-cuda.json" <<'PY' | tee -a "$out/summary.txt" || fail=1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
def numbers(d, path=""):
    if isinstance(d, dict):
        for k, v in d.items(): yield from numbers(v, path + "/" + k)
    elif isinstance(d, list):
        for i, v in enumerate(d): yield from numbers(v, path + "/" + str(i))
    elif isinstance(d, float): yield path, d
na, nb = dict(numbers(a)), dict(numbers(b))
worst = max((abs(na[k] - nb[k]) / max(abs(na[k]), 1e-6), k) for k in na if k in nb and "seconds" not in k and "memory" not in k)
ok = worst[0] <= 1e-4 and len(na) == len(nb)
print(("ok    " if ok else "FAIL  ") + f"calibration statistics: {len(na)} numbers, worst relative difference {worst[0]:.2e} at {worst[1]}")
sys.exit(0 if ok else 1)
PY

# 3. Every method, W4A4 and W6A6, bundled and planted model.
"$cli" plant-outliers --out "$out/planted" --quiet --massive 0:7:150 --massive 2:100:400 --normal 1:attn_in:5:20 \
    --normal 3:mlp_in:30:25 || { note "FAIL  plant-outliers"; fail=1; }
for model in bundled planted; do
    modelflag=()
    [ "$model" = planted ] && modelflag=(--model "$out/planted")
    for method in rtn smoothquant duquant ruquant rptq; do
        for bits in 4 6; do
            name="$model-$method-w${bits}a${bits}"
            args=(quantize "${modelflag[@]}" --method "$method" --wbits "$bits" --abits "$bits" --eval_ppl)
            run "$name-cpu" "${args[@]}" --device cpu && run "$name-cuda" "${args[@]}" --device cuda &&
                close "$(field "$out/$name-cuda.json" quant_ppl)" "$(field "$out/$name-cpu.json" quant_ppl)" 5e-3 "$name"
        done
    done
done

# 4. Resume across devices: killed after layer 2 on the CPU, finished on the GPU.
args=(quantize --method duquant --wbits 4 --abits 4 --eval_ppl --save_dir "$out/resume-run")
(OUTLIERLAB_KILL_AT=layer:3 "$cli" "${args[@]}" --device cpu --quiet >/dev/null 2>&1) 2>/dev/null
run resume-cuda "${args[@]}" --device cuda --resume &&
    close "$(field "$out/resume-cuda.json" quant_ppl)" "$(field "$out/bundled-duquant-w4a4-cpu.json" quant_ppl)" 5e-3 \
        "DuQuant W4A4 started on cpu, resumed on cuda"

# 5. A GPU run's export, evaluated on the CPU (with the run's own perplexity windows: the calibration seqlen).
run export-cuda quantize --method duquant --wbits 4 --abits 16 --eval_ppl --device cuda --export "$out/export" &&
    run export-eval-cpu eval --model "$out/export" --device cpu --seqlen 256 &&
    close "$(field "$out/export-cuda.json" quant_ppl)" "$(field "$out/export-eval-cpu.json" ppl)" 5e-3 \
        "DuQuant W4A16 run on cuda (its perplexity) against its export evaluated on cpu"

[ $fail = 0 ] && note "all CUDA parity checks passed" || note "some CUDA parity checks FAILED (see $out)"
exit $fail
