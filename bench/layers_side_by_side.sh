#!/usr/bin/env bash
# Each layer of bench/layer_cases.yaml in runner (runner_layer_bench) and in PyTorch
# (bench/torch_layers.py), forward and backward at 1 and 2 threads, in one invocation; prints a
# Markdown table with runner's time over PyTorch's (below 1: runner is faster). Two alternating
# rounds by default (ROUNDS=n for more: runner, PyTorch, runner, ...); each time is the best
# round's median.
#   bench/layers_side_by_side.sh [SECONDS_PER_CASE]   (after scripts/build release runner_layer_bench)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-0.5}
cd "$root"
runner_out=$(mktemp)
torch_out=$(mktemp)
trap 'rm -f "$runner_out" "$torch_out"' EXIT
for round in $(seq "${ROUNDS:-2}"); do
  build/release/runner_layer_bench bench/layer_cases.yaml --seconds "$seconds" >>"$runner_out"
  /usr/bin/python3 bench/torch_layers.py bench/layer_cases.yaml --seconds "$seconds" >>"$torch_out"
done
/usr/bin/python3 - "$runner_out" "$torch_out" <<'PY'
import json
import sys

def load(path):
    best = {}
    for r in map(json.loads, open(path)):
        key = (r["name"], r["threads"])
        if key in best:
            r = {part: min(r[part], best[key][part]) for part in ("forward_ms", "backward_ms")}
        best[key] = r
    return best

runner, torch = load(sys.argv[1]), load(sys.argv[2])
print("| layer | threads | forward ms runner / PyTorch | ratio | backward ms runner / PyTorch | ratio |")
print("|---|---|---|---|---|---|")
worst = 0.0
for key in runner:
    r, t = runner[key], torch[key]
    cells = []
    for part in ("forward_ms", "backward_ms"):
        if t[part] < 0.001:  # no backward (augmentation layers open the model)
            cells += ["-", "-"]
            continue
        ratio = r[part] / t[part]
        worst = max(worst, ratio)
        cells += [f"{r[part]:.3f} / {t[part]:.3f}", f"{ratio:.2f}"]
    print(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")
print(f"\nworst ratio (runner / PyTorch): {worst:.2f}")
PY
