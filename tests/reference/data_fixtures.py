#!/usr/bin/python3
"""Writes the small data files the data-source tests read (tests/fixtures/data/), one per format,
plus broken ones. Needs Debian's python3-numpy, python3-h5py and python3-pil.
Run: /usr/bin/python3 tests/reference/data_fixtures.py

The good files all hold the same 12 samples: 6x5 grayscale "images" whose pixel (r, c) of
sample i is (17 i + 3 r + 5 c) mod 256, labels i mod 3 (class names cat, dog, owl).
"""
import os
import shutil

import h5py
import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "data")
N, H, W = 12, 6, 5
CLASSES = ["cat", "dog", "owl"]


def images():
    i, r, c = np.meshgrid(np.arange(N), np.arange(H), np.arange(W), indexing="ij")
    return ((17 * i + 3 * r + 5 * c) % 256).astype(np.uint8)[..., None]  # (N, H, W, 1)


def labels():
    return (np.arange(N) % 3).astype(np.int64)


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    x, y = images(), labels()
    # NumPy: uint8 images + int64 labels; float32 and float64 copies; stored and deflated .npz.
    np.save(f"{OUT}/images.npy", x)
    np.save(f"{OUT}/labels.npy", y)
    np.save(f"{OUT}/images_f64.npy", x.astype(np.float64))
    np.save(f"{OUT}/onehot.npy", np.eye(3, dtype=np.float32)[y])
    np.savez(f"{OUT}/data.npz", x=x.astype(np.float32), y=y)
    np.savez_compressed(f"{OUT}/data_compressed.npz", images=x, labels=y.astype(np.uint8))
    np.save(f"{OUT}/fortran.npy", np.asfortranarray(x[:, :, :, 0].astype(np.float32)))
    np.save(f"{OUT}/objects.npy", np.array([1, "a", None], dtype=object), allow_pickle=True)
    with open(f"{OUT}/images.npy", "rb") as f:
        whole = f.read()
    with open(f"{OUT}/truncated.npy", "wb") as f:
        f.write(whole[: len(whole) - 7])
    np.save(f"{OUT}/labels_short.npy", y[:10])
    np.save(f"{OUT}/labels_bad.npy", np.array([0, 1, 2, 1, 0, 7, 1, 2, 0, 1, 2, 0]))
    # HDF5: chunked and gzip-compressed uint8 images, float64 labels; a float32 copy unchunked.
    with h5py.File(f"{OUT}/data.h5", "w") as f:
        f.create_dataset("images", data=x, chunks=(4, H, W, 1), compression="gzip")
        f.create_dataset("labels", data=y.astype(np.float64))
        g = f.create_group("float")
        g.create_dataset("x", data=x.astype(np.float32) / 255)
        g.create_dataset("y", data=y.astype(np.int32), chunks=(5,), shuffle=True,
                         compression="gzip", compression_opts=9)
        f.create_dataset("short_labels", data=y[:11])
        f.create_dataset("names", data=np.array([b"a", b"b"]))
    with open(f"{OUT}/data.h5", "rb") as f:
        whole = f.read()
    with open(f"{OUT}/truncated.h5", "wb") as f:
        f.write(whole[: len(whole) // 2])
    # CSV: features f0..f29 are the pixels, a text label column in the middle.
    flat = x.reshape(N, -1)
    header = [f"f{j}" for j in range(H * W)]
    def write_csv(name, rows, cols):
        with open(f"{OUT}/{name}", "w") as f:
            f.write(",".join(cols) + "\n")
            for row in rows:
                f.write(",".join(row) + "\n")
    rows = []
    for i in range(N):
        cells = [str(v) for v in flat[i]]
        rows.append(cells[:3] + [CLASSES[y[i]]] + cells[3:])
    cols = header[:3] + ["species"] + header[3:]
    write_csv("table.csv", rows, cols)
    ragged = [r[:] for r in rows]
    ragged[4] = ragged[4][:-1]
    write_csv("ragged.csv", ragged, cols)
    missing = [r[:] for r in rows]
    missing[6][5] = "NA"
    write_csv("missing.csv", missing, cols)
    # Regression: y = 2 f0 - f1 + 0.5, numeric label.
    reg = [[str(v) for v in flat[i, :4]] + [repr(2.0 * flat[i, 0] - flat[i, 1] + 0.5)]
           for i in range(N)]
    write_csv("regression.csv", reg, ["a", "b", "c", "d", "target"])
    # Image folders: PNG for cat and owl, JPEG (quality 100) for dog; RGB PNGs in rgb/.
    for name, fmt in (("cat", "png"), ("dog", "jpg"), ("owl", "png")):
        os.makedirs(f"{OUT}/folder/{name}")
        os.makedirs(f"{OUT}/rgb/{name}")
    for i in range(N):
        name = CLASSES[y[i]]
        ext = "jpg" if name == "dog" else "png"
        img = Image.fromarray(x[i, :, :, 0], mode="L")
        img.save(f"{OUT}/folder/{name}/{i:02d}.{ext}", quality=100)
        rgb = np.concatenate([x[i], 255 - x[i], x[i] // 2], axis=2)
        Image.fromarray(rgb, mode="RGB").resize((10, 12), Image.NEAREST).save(f"{OUT}/rgb/{name}/{i:02d}.png")
    os.makedirs(f"{OUT}/bad_folder/cat")
    os.makedirs(f"{OUT}/bad_folder/dog")
    Image.fromarray(x[0, :, :, 0], mode="L").save(f"{OUT}/bad_folder/cat/00.png")
    with open(f"{OUT}/bad_folder/dog/notes.png", "w") as f:
        f.write("not an image\n")
    # IDX: the same images and labels, plain (not gzip'd).
    def idx(path, arr, dims):
        with open(path, "wb") as f:
            f.write(bytes([0, 0, 8, len(dims)]))
            for d in dims:
                f.write(int(d).to_bytes(4, "big"))
            f.write(arr.astype(np.uint8).tobytes())
    idx(f"{OUT}/images.idx", x[:, :, :, 0], (N, H, W))
    idx(f"{OUT}/labels.idx", y, (N,))


if __name__ == "__main__":
    main()
