#!/usr/bin/env bash
# runner against PyTorch on every architecture of bench/models/ (runner_bench --model), then
# one Markdown table of the 2-thread ratios. Each model's full output goes to
# build/bench-suite/<model>.txt. Takes about half an hour; run it on a quiet machine.
#   bench/suite.sh [runner_bench options, e.g. --rounds 3 --steps 200]
#   bench/suite.sh --emulate-avx2 [options]   (this machine restricted to AVX2: see below)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
preset=release
out=build/bench-suite
if [[ ${1-} == --emulate-avx2 ]]; then
  # An AVX2-only host's code paths on an AVX-512 machine: runner built for x86-64-v3 (8-float
  # registers), oneDNN (both sides) and PyTorch's kernels and OpenBLAS held to AVX2. Ratios then
  # show what the 8-lane kernels do; a real AVX2 core's speeds differ (docs/performance.md).
  shift
  preset=avx2
  out=build/bench-suite-avx2
  export ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2 OPENBLAS_CORETYPE=Zen
fi
bench=build/$preset/runner_bench
[[ -x $bench ]] || scripts/build "$preset" runner_bench
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
