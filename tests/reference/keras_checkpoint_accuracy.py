#!/usr/bin/python3
"""Independent accuracy of the Keras 2.11 reference checkpoint (for tests/io/test_checkpoint.cpp).

Reads the weights with h5py and runs the model in PyTorch (NCHW, kernels transposed from
Keras' (kh, kw, in, out)), on the Fashion-MNIST test set and the seed-42 validation split.
Run: /usr/bin/python3 tests/reference/keras_checkpoint_accuracy.py $RUNNER_KERAS_CHECKPOINT
(the path of Keras 2.11's best-cnn-model-keras-2.11.h5, a third-party file outside the repository)
"""
import gzip
import sys

import h5py
import numpy as np
import torch
import torch.nn.functional as F

D = "/usr/share/datasets/fashion-mnist"


def idx(path):
    buf = gzip.open(path).read()
    ndim = buf[3]
    dims = [int.from_bytes(buf[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(buf, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def weights(f, layer):
    g = f["model_weights"][layer][layer]
    return np.array(g["kernel:0"]), np.array(g["bias:0"])


def forward(f, x):
    k, b = weights(f, "conv2d")
    x = F.relu(F.conv2d(x, torch.tensor(k).permute(3, 2, 0, 1), torch.tensor(b), padding=1))
    x = F.max_pool2d(x, 2)
    k, b = weights(f, "conv2d_1")
    x = F.relu(F.conv2d(x, torch.tensor(k).permute(3, 2, 0, 1), torch.tensor(b), padding=1))
    x = F.max_pool2d(x, 2)
    x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)  # Keras flattens channels-last
    k, b = weights(f, "dense")
    x = F.relu(x @ torch.tensor(k) + torch.tensor(b))
    k, b = weights(f, "dense_1")
    return x @ torch.tensor(k) + torch.tensor(b)


def report(name, f, images, labels):
    x = torch.tensor(images.astype(np.float32) / 255.0)[:, None, :, :]
    with torch.no_grad():
        logits = forward(f, x.double() if False else x)
    loss = F.cross_entropy(logits, torch.tensor(labels.astype(np.int64))).item()
    acc = (logits.argmax(1).numpy() == labels).mean()
    print(f"{name}: loss {loss:.6f} accuracy {acc:.6f} ({len(labels)} images)")


f = h5py.File(sys.argv[1], "r")
report("test", f, idx(f"{D}/t10k-images-idx3-ubyte.gz"), idx(f"{D}/t10k-labels-idx1-ubyte.gz"))
xtr, ytr = idx(f"{D}/train-images-idx3-ubyte.gz"), idx(f"{D}/train-labels-idx1-ubyte.gz")
perm = np.random.RandomState(42).permutation(60000)
report("validation", f, xtr[perm[:12000]], ytr[perm[:12000]])
