#!/usr/bin/python3
"""PyTorch twin of experiments/separable-aug.yaml, for accuracy and speed side by side.

Same model (Conv-BN-ReLU, separable conv-BN-ReLU, max pool, depthwise-BN-ReLU, 1x1 conv-BN-ReLU,
max pool, separable conv-BN-GELU, global average pool, dropout, dense; glorot_uniform kernels,
zero biases, BatchNorm momentum 0.01 = Keras 0.99, eps 1e-3), L2 1e-4 on the same three kernels
added to the loss as Keras does, the same augmentation in training (translation by up to 8% of
each side, rotation by up to 0.03 of a turn, zoom by up to 8%, each resampled bilinearly with
zeros outside: TensorFlow's maps of output to input pixels, given to grid_sample), Adam (Keras'
epsilon placement) on 0.003 * 0.7^(step // 750), batch 64, 8 epochs, the seed-42 split.
Prints one JSON line per epoch and a final one with test accuracy and training images/s.
Run: /usr/bin/python3 bench/torch_separable.py --threads 2
"""
import argparse
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_twin import glorot, train

L2 = 1e-4


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = glorot(nn.Conv2d(1, 32, 3, padding=1, bias=False))
        self.bn1 = bn(32)
        self.sep1_dw = glorot(nn.Conv2d(32, 32, 3, padding=1, groups=32, bias=False))
        self.sep1_pw = glorot(nn.Conv2d(32, 64, 1, bias=False))
        self.bn2 = bn(64)
        self.dw = glorot(nn.Conv2d(64, 64, 3, padding=1, groups=64, bias=False))
        self.bn3 = bn(64)
        self.pw = glorot(nn.Conv2d(64, 128, 1, bias=False))  # L2
        self.bn4 = bn(128)
        self.sep2_dw = glorot(nn.Conv2d(128, 128, 3, padding=1, groups=128, bias=False))
        self.sep2_pw = glorot(nn.Conv2d(128, 128, 1, bias=False))  # L2
        self.bn5 = bn(128)
        self.dense = glorot(nn.Linear(128, 10))  # L2

    def forward(self, x):
        x = F.relu(self.bn1(self.conv(x)))
        x = F.max_pool2d(F.relu(self.bn2(self.sep1_pw(self.sep1_dw(x)))), 2)
        x = F.relu(self.bn3(self.dw(x)))
        x = F.max_pool2d(F.relu(self.bn4(self.pw(x))), 2)
        x = F.gelu(self.bn5(self.sep2_pw(self.sep2_dw(x))))
        x = F.dropout(x.mean((2, 3)), 0.2, self.training)
        return self.dense(x)

    def penalty(self):
        return L2 * sum((w ** 2).sum() for w in (self.pw.weight, self.sep2_pw.weight,
                                                  self.dense.weight))


def resample(x, maps):
    """TensorFlow's transform with constant (zero) fill and bilinear reads: maps [n, 2, 3] take
    output pixel (x, y) to input pixel (a0 x + a1 y + a2, b0 x + b1 y + b2)."""
    n, _, h, w = x.shape
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float32),
                            torch.arange(w, dtype=torch.float32), indexing="ij")
    points = torch.stack([xs, ys, torch.ones_like(xs)], -1).reshape(1, h * w, 3)
    source = points @ maps.transpose(1, 2)  # [n, h*w, 2] input (x, y)
    grid = torch.stack([source[..., 0] * 2 / (w - 1) - 1, source[..., 1] * 2 / (h - 1) - 1], -1)
    return F.grid_sample(x, grid.reshape(n, h, w, 2), mode="bilinear", padding_mode="zeros",
                         align_corners=True)


def augment(x, gen):
    n, _, h, w = x.shape
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(n, generator=gen)
    one, zero = torch.ones(n), torch.zeros(n)
    dy, dx = u(-0.08, 0.08) * h, u(-0.08, 0.08) * w
    x = resample(x, torch.stack([torch.stack([one, zero, -dx], 1),
                                 torch.stack([zero, one, -dy], 1)], 1))
    a = u(-0.03, 0.03) * 2 * math.pi
    c, s = torch.cos(a), torch.sin(a)
    x = resample(x, torch.stack([
        torch.stack([c, -s, ((w - 1) - (c * (w - 1) - s * (h - 1))) / 2], 1),
        torch.stack([s, c, ((h - 1) - (s * (w - 1) + c * (h - 1))) / 2], 1)], 1))
    z = u(0.92, 1.08)
    return resample(x, torch.stack([torch.stack([z, zero, (w - 1) / 2 * (1 - z)], 1),
                                    torch.stack([zero, z, (h - 1) / 2 * (1 - z)], 1)], 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=8)
    args = ap.parse_args()
    torch.manual_seed(42)
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=0.003, eps=1e-7)
    train(model, opt, lambda step: 0.003 * 0.7 ** (step // 750), args, augment=augment,
          penalty=model.penalty)


if __name__ == "__main__":
    main()
