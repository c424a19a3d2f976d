#!/usr/bin/python3
"""PyTorch twin of experiments/allconv-bn.yaml, for accuracy and speed side by side.

Same model (Conv-BN-ReLU x2, max pool, Conv-BN-ReLU, max pool, 1x1 conv, global average pool;
glorot_uniform kernels, zero biases, BatchNorm momentum 0.01 = Keras 0.99, eps 1e-3), same data
and seed-42 split (bench/torch_cnn.py's loader), AdamW(weight_decay 0.004, eps 1e-7 with Keras'
epsilon placement), the same per-step cosine schedule with linear warm-up, batch 64, 8 epochs.
Prints one JSON line per epoch and a final one with test accuracy and training images/s.
Run: /usr/bin/python3 bench/torch_allconv.py --threads 2
"""
import argparse
import math

import torch
import torch.nn as nn

from torch_twin import glorot, train


def conv_bn(cin, cout):
    conv = glorot(nn.Conv2d(cin, cout, 3, padding=1, bias=False))
    return [conv, nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.ReLU()]


def make_model():
    head = glorot(nn.Conv2d(64, 10, 1))
    return nn.Sequential(*conv_bn(1, 32), *conv_bn(32, 32), nn.MaxPool2d(2), *conv_bn(32, 64),
                         nn.MaxPool2d(2), head, nn.AdaptiveAvgPool2d(1), nn.Flatten())


def rate(step, warmup=750, target=0.003, decay=5250):
    if step < warmup:
        return target * step / warmup
    done = min(step - warmup, decay) / decay
    return target * 0.5 * (1 + math.cos(math.pi * done))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=8)
    args = ap.parse_args()
    torch.manual_seed(42)
    model = make_model()
    opt = torch.optim.AdamW(model.parameters(), lr=0.0, weight_decay=0.004, eps=1e-7)
    train(model, opt, rate, args)


if __name__ == "__main__":
    main()
