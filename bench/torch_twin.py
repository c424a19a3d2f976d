"""The training loop the PyTorch twins of runner's reference experiments share
(bench/torch_allconv.py, bench/torch_separable.py): the seed-42 split, Adam-family optimizers
with Keras' epsilon placement, a per-step learning rate, one JSON line per epoch and a final one
with test accuracy and training images/s."""
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_cnn import evaluate, load_fashion_mnist


def glorot(module):
    """Keras' initializers: glorot_uniform kernel, zero bias."""
    nn.init.xavier_uniform_(module.weight)
    if module.bias is not None:
        nn.init.zeros_(module.bias)
    return module


def train(model, opt, rate, args, batch=64, augment=None, penalty=None):
    """rate(step) -> learning rate; augment(x, generator) -> x in training; penalty() -> a term
    added to every batch's loss (Keras' regularization losses)."""
    torch.set_num_threads(args.threads)
    xtr, ytr, xva, yva, xte, yte = load_fashion_mnist()
    gen = torch.Generator().manual_seed(42)
    step, train_seconds, seen = 0, 0.0, 0
    for epoch in range(args.epochs):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(xtr.shape[0], generator=gen)
        for s in range(0, xtr.shape[0], batch):
            idx = perm[s:s + batch]
            for g in opt.param_groups:
                g["lr"] = rate(step)
                g["eps"] = 1e-7 / math.sqrt(1.0 - 0.999 ** (step + 1))  # Keras' placement
            opt.zero_grad(set_to_none=True)
            x = xtr[idx] if augment is None else augment(xtr[idx], gen)
            loss = F.cross_entropy(model(x), ytr[idx])
            if penalty is not None:
                loss = loss + penalty()
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
