#!/usr/bin/python3
"""Writes Debian's Fashion-MNIST (dataset-fashion-mnist) in the other formats runner reads, for
the image-folder example (experiments/fashion-folder.yaml) and the loading benchmark
(bench/data_formats.sh): PNG folders (one subfolder per class, as Keras'
image_dataset_from_directory reads them), .npy files and an HDF5 file (gzip-compressed chunks).
Needs python3-numpy, python3-h5py and python3-pil.
Run: /usr/bin/python3 scripts/export_fashion_mnist.py [OUT]   (default: build/datasets)
"""
import gzip
import os
import sys

import h5py
import numpy as np
from PIL import Image

SRC = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle_boot"]  # sorted folder names must keep label order: prefixed below


def idx(name, offset):
    with gzip.open(os.path.join(SRC, name)) as f:
        return np.frombuffer(f.read(), dtype=np.uint8, offset=offset)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..",
                                                             "build", "datasets")
    for part, prefix in (("train", "train"), ("test", "t10k")):
        x = idx(f"{prefix}-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28, 1)
        y = idx(f"{prefix}-labels-idx1-ubyte.gz", 8).astype(np.int64)
        os.makedirs(f"{out}/fashion-mnist-npy", exist_ok=True)
        np.save(f"{out}/fashion-mnist-npy/{part}_images.npy", x)
        np.save(f"{out}/fashion-mnist-npy/{part}_labels.npy", y)
        with h5py.File(f"{out}/fashion-mnist.h5", "a") as f:
            if part in f:
                del f[part]
            g = f.create_group(part)
            g.create_dataset("images", data=x, chunks=(256, 28, 28, 1), compression="gzip")
            g.create_dataset("labels", data=y)
        for c, name in enumerate(CLASSES):
            os.makedirs(f"{out}/fashion-mnist-png/{part}/{c}-{name}", exist_ok=True)
        for i in range(len(y)):
            folder = f"{out}/fashion-mnist-png/{part}/{y[i]}-{CLASSES[y[i]]}"
            Image.fromarray(x[i, :, :, 0], mode="L").save(f"{folder}/{i:05d}.png")
        print(f"{part}: {len(y)} images written under {out}")


if __name__ == "__main__":
    main()
