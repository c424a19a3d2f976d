#!/usr/bin/python3
"""Writes a 32x32 RGB image set in .npy for benchmarking models on colour input (CIFAR-10's
shape): Fashion-MNIST's first N training images padded to 32x32 and tinted per class, so the
task stays learnable. For bench/probes/rgb-cifar-style.yaml (runner_bench --model).
Needs python3-numpy.
Run: /usr/bin/python3 bench/make_rgb_data.py [OUT] [N]   (default: build/datasets/rgb32, 20000)
"""
import gzip
import os
import sys

import numpy as np

SRC = "/usr/share/datasets/fashion-mnist"


def idx(name, offset):
    with gzip.open(os.path.join(SRC, name)) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..",
                                                             "build", "datasets", "rgb32")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
    gray = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)[:n]
    y = idx("train-labels-idx1-ubyte.gz", 8)[:n].astype(np.int64)
    tint = np.random.default_rng(42).uniform(0.4, 1.0, size=(10, 3))
    x = np.zeros((len(y), 32, 32, 3), dtype=np.uint8)
    x[:, 2:30, 2:30, :] = (gray[:, :, :, None] * tint[y][:, None, None, :]).astype(np.uint8)
    os.makedirs(out, exist_ok=True)
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "y.npy"), y)
    print(f"{len(y)} images of 32x32x3 written under {out}")


if __name__ == "__main__":
    main()
