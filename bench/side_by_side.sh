#!/usr/bin/env bash
# A reference experiment and its PyTorch twin, one after the other on the same threads:
# accuracy, training speed, wall time and peak memory of each.
#   bench/side_by_side.sh allconv-bn [THREADS]     experiments/allconv-bn.yaml, bench/torch_allconv.py
#   bench/side_by_side.sh separable-aug [THREADS]  experiments/separable-aug.yaml, bench/torch_separable.py
# (after scripts/build release runner)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
experiment=${1:?usage: bench/side_by_side.sh allconv-bn|separable-aug [THREADS]}
threads=${2:-2}
case $experiment in
  allconv-bn) twin=torch_allconv.py ;;
  separable-aug) twin=torch_separable.py ;;
  *) echo "bench/side_by_side.sh: no PyTorch twin for '$experiment'" >&2; exit 2 ;;
esac
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
echo "== runner, $threads threads"
/usr/bin/time -f "wall %e s, peak RSS %M KB" "$root/build/release/runner" \
  "$root/experiments/$experiment.yaml" --threads "$threads" --verbose \
  --set results_dir="$results" 2>&1 | grep -E "^Epoch [0-9]+/|validation:|test:|wall"
# history.csv's `seconds` column, found by name (a schedule adds an `lr` column before it).
awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "seconds") col = i; next}
         {s += $col; n++} END {printf "training: %d epochs in %.1f s, %.0f images/s\n", n, s, 48000 * n / s}' \
  "$results"/*/*/history.csv
echo "== PyTorch, $threads threads"
cd "$root/bench"
/usr/bin/time -f "wall %e s, peak RSS %M KB" /usr/bin/python3 "$twin" --threads "$threads"
