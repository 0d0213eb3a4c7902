#!/usr/bin/env bash
# The spread of every perplexity the test suite pins, over OpenBLAS's CPU kernels.
# OpenBLAS picks its kernels by CPU (FMA, AVX2, AVX-512 round differently), and W4A4
# amplifies the differences through rounding and argmax decisions; the tests'
# tolerances are set from this table. Usage: bench/kernel_spread.sh [BUILD_DIR]
# (default build/release); prints one Markdown table, a column per kernel.
set -euo pipefail
cd "$(dirname "$0")/.."
cli="${1:-build/release}/app/cli/outlierlab-cli"
kernels=(default Haswell SandyBridge Nehalem)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$cli" plant-outliers --out "$work/planted" --massive 0:7:150 --massive 2:100:400 \
    --normal 1:attn_in:5:20 --normal 3:mlp_in:30:25 --quiet
# recipe file, model (empty: bundled), result file stem
run_recipe() {
    local recipe=$1 model=$2 kernel=$3 out=$4
    python3 - "$recipe" "$model" "$work/$out-$kernel.h5" > "$work/recipe.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
if sys.argv[2]: r["model"] = sys.argv[2]
r["session"] = sys.argv[3]
print(json.dumps(r))
PY
    if [ "$kernel" = default ]; then env -u OPENBLAS_CORETYPE "$cli" batch "$work/recipe.json" --json --quiet
    else OPENBLAS_CORETYPE=$kernel "$cli" batch "$work/recipe.json" --json --quiet; fi > "$work/$out-$kernel.json"
}
start=$SECONDS
for k in "${kernels[@]}"; do
    run_recipe bench/kernels/reference.json "" "$k" reference
    run_recipe bench/kernels/planted20.json "$work/planted" "$k" planted20
    run_recipe bench/kernels/planted.json "$work/planted" "$k" planted
done
python3 - "$work" "${kernels[@]}" <<'PY'
import json, sys
work, kernels = sys.argv[1], sys.argv[2:]
rows = {}
for k in kernels:
    for stem in ("reference", "planted20", "planted"):
        for run in json.load(open(f"{work}/{stem}-{k}.json"))["runs"]:
            rows.setdefault(run["name"], {})[k] = run["quant_ppl"]
print("| run | " + " | ".join(kernels) + " | spread (max/min − 1) |")
print("|---|" + "---|" * (len(kernels) + 1))
for name, v in rows.items():
    vals = [v[k] for k in kernels]
    print(f"| {name} | " + " | ".join(f"{x:.6f}" for x in vals) + f" | {100 * (max(vals) / min(vals) - 1):.3f}% |")
PY
echo "($((SECONDS - start)) s; CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
