#!/usr/bin/env bash
# Loading is never the bottleneck: the reference experiment (experiments/cnn.yaml) trained for
# one epoch from Fashion-MNIST stored as IDX (Debian's files), .npy, HDF5 and PNG folders, in
# alternating rounds; prints each format's seconds per epoch, whole-run wall time and peak
# memory, as ratios to IDX. Make the other formats first:
#   /usr/bin/python3 scripts/export_fashion_mnist.py
# Usage: bench/data_formats.sh [RUNNER] (default build/release/runner); ROUNDS=2 by default.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runner=${1:-$root/build/release/runner}
data=$root/build/datasets
rounds=${ROUNDS:-2}
[[ -d $data/fashion-mnist-png ]] || { echo "run scripts/export_fashion_mnist.py first" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Each variant is cnn.yaml with its data block replaced.
variant() {
  local name=$1 block=$2
  { printf 'data:\n%s\n  validation_split: 0.2\n\n' "$block"
    sed '/^data:/,/^$/d' "$root/experiments/cnn.yaml"; } >"$work/$name.yaml"
}
variant idx "  train: {type: fashion_mnist}
  test: {type: fashion_mnist, part: test}"
variant npy "  train: {type: npy, x: $data/fashion-mnist-npy/train_images.npy, y: $data/fashion-mnist-npy/train_labels.npy}
  test: {type: npy, x: $data/fashion-mnist-npy/test_images.npy, y: $data/fashion-mnist-npy/test_labels.npy}"
variant hdf5 "  train: {type: hdf5, path: $data/fashion-mnist.h5, x: /train/images, y: /train/labels}
  test: {type: hdf5, path: $data/fashion-mnist.h5, x: /test/images, y: /test/labels}"
variant png "  train: {type: image_folder, path: $data/fashion-mnist-png/train}
  test: {type: image_folder, path: $data/fashion-mnist-png/test}"
formats=(idx npy hdf5 png)
for ((r = 1; r <= rounds; r++)); do
  for f in "${formats[@]}"; do
    start=$(date +%s.%N)
    "$runner" "$work/$f.yaml" --set fit.epochs=1 --set "results_dir=$work/results/$f" --quiet
    end=$(date +%s.%N)
    echo "$f $(echo "$end - $start" | bc)" >>"$work/wall.txt"
  done
done
/usr/bin/python3 - "$work" "${formats[@]}" <<'PY'
import glob, json, statistics, sys
work, formats = sys.argv[1], sys.argv[2:]
wall = {}
for line in open(f"{work}/wall.txt"):
    f, s = line.split()
    wall.setdefault(f, []).append(float(s))
rows = {}
for f in formats:
    runs = [json.load(open(p)) for p in glob.glob(f"{work}/results/{f}/*/*/summary.json")]
    rows[f] = (statistics.median(r["seconds_per_epoch"] for r in runs),
               statistics.median(wall[f]), max(r["peak_rss_mb"] for r in runs),
               runs[0]["evaluation"]["test"]["accuracy"])
base = rows["idx"]
size_mb = 70000 * 28 * 28 * 4 / 2**20
print(f"format  s/epoch (x IDX)   run wall s (x IDX)   peak MB (x float32 data {size_mb:.0f} MB)   test acc")
for f in formats:
    e, w, m, a = rows[f]
    print(f"{f:<6}  {e:6.2f} ({e / base[0]:.2f})    {w:6.2f} ({w / base[1]:.2f})        "
          f"{m:6.1f} ({m / size_mb:.2f})                      {a:.4f}")
PY
