#!/usr/bin/env bash
# experiments/allconv-bn.yaml and its PyTorch twin (bench/torch_allconv.py), one after the other
# on the same threads: accuracy, training speed, wall time and peak memory of each.
#   bench/allconv_side_by_side.sh [THREADS]      (after scripts/build release runner)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
threads=${1:-2}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
echo "== runner, $threads threads"
/usr/bin/time -f "wall %e s, peak RSS %M KB" "$root/build/release/runner" \
  "$root/experiments/allconv-bn.yaml" --threads "$threads" --verbose \
  --set results_dir="$results" 2>&1 | grep -E "^Epoch [0-9]+/|validation:|test:|wall"
awk -F, 'NR > 1 {s += $8; n++} END {printf "training: %d epochs in %.1f s, %.0f images/s\n", n, s, 48000 * n / s}' \
  "$results"/fashion-allconv-bn/*/history.csv
echo "== PyTorch, $threads threads"
cd "$root/bench"
/usr/bin/time -f "wall %e s, peak RSS %M KB" /usr/bin/python3 torch_allconv.py --threads "$threads"
