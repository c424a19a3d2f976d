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
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_cnn import evaluate, load_fashion_mnist


def conv_bn(cin, cout):
    conv = nn.Conv2d(cin, cout, 3, padding=1, bias=False)
    nn.init.xavier_uniform_(conv.weight)
    return [conv, nn.BatchNorm2d(cout, eps=1e-3, momentum=0.01), nn.ReLU()]


def make_model():
    head = nn.Conv2d(64, 10, 1)
    nn.init.xavier_uniform_(head.weight)
    nn.init.zeros_(head.bias)
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
    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    xtr, ytr, xva, yva, xte, yte = load_fashion_mnist()
    model = make_model()
    opt = torch.optim.AdamW(model.parameters(), lr=0.0, weight_decay=0.004, eps=1e-7)
    gen = torch.Generator().manual_seed(42)
    step, batch, train_seconds, seen = 0, 64, 0.0, 0
    for epoch in range(args.epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(xtr.shape[0], generator=gen)
        for s in range(0, xtr.shape[0], batch):
            idx = perm[s:s + batch]
            for g in opt.param_groups:
                g["lr"] = rate(step)
                step_t = step + 1  # Keras' epsilon placement (as bench/torch_cnn.py)
                g["eps"] = 1e-7 / math.sqrt(1.0 - 0.999 ** step_t)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            step += 1
        train_seconds += time.perf_counter() - t0
        seen += xtr.shape[0]
        val_loss, val_acc = evaluate(model, xva, yva, 256, torch.contiguous_format)
        print(json.dumps({"epoch": epoch + 1, "val_loss": round(val_loss, 4),
                          "val_accuracy": round(val_acc, 4)}), flush=True)
    test_loss, test_acc = evaluate(model, xte, yte, 256, torch.contiguous_format)
    print(json.dumps({"test_loss": round(test_loss, 4), "test_accuracy": round(test_acc, 4),
                      "train_images_per_s": round(seen / train_seconds, 1),
                      "torch": torch.__version__, "threads": args.threads}))


if __name__ == "__main__":
    main()
