#!/usr/bin/env bash
# runner against PyTorch on every architecture of bench/models/ (runner_bench --model), then
# one Markdown table of the 2-thread ratios. Each model's full output goes to
# build/bench-suite/<model>.txt. Takes about half an hour; run it on a quiet machine.
#   bench/suite.sh [runner_bench options, e.g. --rounds 3 --steps 200]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bench=build/release/runner_bench
[[ -x $bench ]] || scripts/build release runner_bench
out=build/bench-suite
mkdir -p "$out"
rows=()
for model in bench/models/*.yaml; do
  name=$(basename "$model" .yaml)
  echo "bench/suite.sh: $name" >&2
  "$bench" --model "$model" "$@" | tee "$out/$name.txt" >&2
  line=$(grep "^ratios at 2 thread" "$out/$name.txt" || true)
  rows+=("$name|$line")
done
echo
echo "| model | training | inference | batch-1 latency (runner / PyTorch) | peak RSS runner / PyTorch |"
echo "|---|---|---|---|---|"
for row in "${rows[@]}"; do
  name=${row%%|*}
  line=${row#*|}
  if [[ -z $line ]]; then
    echo "| $name | (no PyTorch row) | | | |"
    continue
  fi
  train=$(sed -E 's/.*training ([0-9.]+x).*/\1/' <<<"$line")
  infer=$(sed -E 's/.*inference ([0-9.]+x).*/\1/' <<<"$line")
  latency=$(sed -E 's/.*batch-1 latency ([0-9.]+x) of PyTorch.s \(([0-9.]+) vs ([0-9.]+) ms\).*/\1 (\2 vs \3 ms)/' <<<"$line")
  rss=$(sed -E 's/.*peak RSS ([0-9]+) vs ([0-9]+) MB.*/\1 \/ \2 MB/' <<<"$line")
  echo "| $name | $train | $infer | $latency | $rss |"
done
