#!/usr/bin/python3
"""PyTorch reference implementation of the Keras Fashion-MNIST CNN tutorial (for side-by-side benchmarks).

Model (Keras): Conv2D(32,3x3,relu,same) -> MaxPool2D(2) -> Conv2D(64,3x3,relu,same)
  -> MaxPool2D(2) -> Flatten -> Dense(100,relu) -> Dropout(0.4) -> Dense(10,softmax)
  333,526 parameters.
Training: Adam(lr=1e-3, b1=.9, b2=.999, eps=1e-7, Keras epsilon semantics by default),
  sparse categorical cross-entropy, batch 32, up to 20 epochs,
  EarlyStopping(monitor=val_loss, patience=2, restore_best_weights=True).
Data: Debian dataset-fashion-mnist IDX .gz files, /255, train 60000 split 80/20 with the
  same permutation sklearn.model_selection.train_test_split(test_size=0.2, random_state=42)
  uses (np.random.RandomState(42).permutation(60000); first 12000 -> val, rest -> train).

Run with Debian's interpreter: /usr/bin/python3 bench/torch_cnn.py --threads 2 (runner_bench runs it)
"""
import argparse
import copy
import ctypes
import gzip
import json
import math
import os
import platform
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA_DIR = "/usr/share/datasets/fashion-mnist"


# ----------------------------------------------------------------------------- data
def load_idx_gz(path):
    with gzip.open(path, "rb") as f:
        buf = f.read()
    zero, dtype_code, ndim = buf[0] << 8 | buf[1], buf[2], buf[3]
    assert zero == 0 and dtype_code == 0x08, f"{path}: unexpected IDX header"
    dims = [int.from_bytes(buf[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    arr = np.frombuffer(buf, dtype=np.uint8, offset=4 + 4 * ndim)
    assert arr.size == int(np.prod(dims)), f"{path}: size mismatch"
    return arr.reshape(dims)


def load_fashion_mnist(data_dir=DATA_DIR, split_seed=42, val_fraction=0.2):
    xtr = load_idx_gz(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    ytr = load_idx_gz(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))
    xte = load_idx_gz(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"))
    yte = load_idx_gz(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz"))
    n = xtr.shape[0]
    # sklearn ShuffleSplit semantics (what train_test_split uses without stratify)
    n_val = int(math.ceil(val_fraction * n))
    n_train = int(math.floor((1.0 - val_fraction) * n))
    perm = np.random.RandomState(split_seed).permutation(n)
    idx_val, idx_train = perm[:n_val], perm[n_val:n_val + n_train]

    def to_t(x):
        return torch.from_numpy((x.astype(np.float32) / 255.0)[:, None, :, :].copy())

    def to_y(y):
        return torch.from_numpy(y.astype(np.int64))

    return (to_t(xtr[idx_train]), to_y(ytr[idx_train]),
            to_t(xtr[idx_val]), to_y(ytr[idx_val]),
            to_t(xte), to_y(yte))


# ----------------------------------------------------------------------------- model
class KerasCNN(nn.Module):
    def __init__(self, channels_last=False):
        super().__init__()
        self.channels_last = channels_last
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(7 * 7 * 64, 100)
        self.drop = nn.Dropout(0.4)
        self.fc2 = nn.Linear(100, 10)
        for m in (self.conv1, self.conv2, self.fc1, self.fc2):  # Keras defaults
            nn.init.xavier_uniform_(m.weight)  # == glorot_uniform (same fan_in/fan_out)
            nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        if self.channels_last:
            x = x.permute(0, 2, 3, 1).flatten(1)  # NHWC flatten (Keras order); a view here
        else:
            x = x.flatten(1)
        x = self.drop(F.relu(self.fc1(x)))
        return self.fc2(x)  # logits; softmax folded into the loss (as Keras does)


def n_params(model):
    return sum(p.numel() for p in model.parameters())


# ----------------------------------------------------------------------------- train / eval
@torch.no_grad()
def evaluate(model, x, y, batch, mem_fmt):
    model.eval()
    tot_loss, correct = 0.0, 0
    for i in range(0, x.shape[0], batch):
        xb = x[i:i + batch].contiguous(memory_format=mem_fmt)
        yb = y[i:i + batch]
        out = model(xb)
        tot_loss += F.cross_entropy(out, yb, reduction="sum").item()
        correct += (out.argmax(1) == yb).sum().item()
    return tot_loss / x.shape[0], correct / x.shape[0]


def train_epoch(model, opt, x, y, batch, mem_fmt, gen, keras_eps, eps, step0, max_steps=None):
    """One epoch; returns (loss, acc, steps, samples, seconds, last_step)."""
    model.train()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    perm = torch.randperm(x.shape[0], generator=gen)
    xs, ys = x[perm], y[perm]  # per-epoch shuffled copy (Keras shuffle=True); counted in the time
    n = x.shape[0]
    steps = math.ceil(n / batch)
    if max_steps is not None:
        steps = min(steps, max_steps)
    loss_sum = torch.zeros((), dtype=torch.float64)
    correct = torch.zeros((), dtype=torch.int64)
    seen = 0
    step = step0
    for s in range(steps):
        xb = xs[s * batch:(s + 1) * batch]
        if mem_fmt is torch.channels_last:
            xb = xb.contiguous(memory_format=mem_fmt)
        yb = ys[s * batch:(s + 1) * batch]
        step += 1
        if keras_eps:
            # Keras/TF Adam: var -= lr*sqrt(1-b2^t)/(1-b1^t) * m/(sqrt(v)+eps)
            # == torch Adam with eps_t = eps / sqrt(1-b2^t)
            for g in opt.param_groups:
                g["eps"] = eps / math.sqrt(1.0 - 0.999 ** step)
        out = model(xb)
        loss = F.cross_entropy(out, yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            loss_sum += loss.detach() * yb.shape[0]
            correct += (out.argmax(1) == yb).sum()
        seen += yb.shape[0]
    dt = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    ru = dict(user_s=ru1.ru_utime - ru0.ru_utime, sys_s=ru1.ru_stime - ru0.ru_stime,
              minflt=ru1.ru_minflt - ru0.ru_minflt, nivcsw=ru1.ru_nivcsw - ru0.ru_nivcsw)
    return loss_sum.item() / seen, correct.item() / seen, steps, seen, dt, step, ru


def tune_runtime(malloc_tune, blas_threads):
    """Process-level knobs that matter a lot on a 2-core machine.

    malloc_tune: glibc otherwise returns freed activation buffers to the kernel (trim / mmap) and
      re-faults them every step (~1500 minor page faults per step, ~1/3 of CPU time in the kernel).
    blas_threads: Debian's torch uses OpenBLAS (pthreads build) for Linear layers; its own thread
      pool spins alongside torch's OpenMP pool and oversubscribes the 2 cores.
    """
    info = {}
    if malloc_tune:
        libc = ctypes.CDLL("libc.so.6")
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        info["mallopt_trim"] = libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)
        info["mallopt_mmap"] = libc.mallopt(M_MMAP_THRESHOLD, 32 << 20)  # glibc max on 64-bit
    try:
        ob = ctypes.CDLL("libopenblas.so.0")
        ob.openblas_get_corename.restype = ctypes.c_char_p
        ob.openblas_get_config.restype = ctypes.c_char_p
        if blas_threads > 0:
            ob.openblas_set_num_threads(blas_threads)
        info["openblas_threads"] = ob.openblas_get_num_threads()
        info["openblas_core"] = ob.openblas_get_corename().decode()
        info["openblas_config"] = ob.openblas_get_config().decode()
    except OSError:
        pass
    return info


def torch_config():
    cfg = {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "num_threads": torch.get_num_threads(),
        "num_interop_threads": torch.get_num_interop_threads(),
        "mkldnn_enabled": torch.backends.mkldnn.enabled,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "ATEN_CPU_CAPABILITY": os.environ.get("ATEN_CPU_CAPABILITY"),
    }
    show = torch.__config__.show()
    for line in show.splitlines():
        line = line.strip()
        if "MKL-DNN" in line or "oneDNN" in line:
            cfg["onednn"] = line.lstrip("- ")
        if line.startswith("- CPU capability usage"):
            cfg["cpu_capability"] = line.split(":", 1)[1].strip()
    return cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--max-steps", type=int, default=None, help="cap train steps per epoch (timing a partial epoch)")
    ap.add_argument("--json-out", default=None)
    ap.add_argument("--seed", type=int, default=42, help="torch seed for init / shuffling / dropout")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--eps", type=float, default=1e-7)
    ap.add_argument("--torch-eps", action="store_true", help="plain torch Adam eps semantics instead of Keras'")
    ap.add_argument("--patience", type=int, default=2)
    ap.add_argument("--no-early-stop", action="store_true")
    ap.add_argument("--no-val", action="store_true", help="skip per-epoch validation (pure train timing)")
    ap.add_argument("--no-test", action="store_true")
    ap.add_argument("--channels-last", action="store_true", help="NHWC memory format (oneDNN nhwc kernels)")
    ap.add_argument("--no-mkldnn", action="store_true", help="disable oneDNN (im2col + BLAS conv path)")
    ap.add_argument("--foreach", action="store_true", help="Adam(foreach=True)")
    ap.add_argument("--no-malloc-tune", action="store_true", help="leave glibc malloc trim/mmap thresholds at defaults")
    ap.add_argument("--blas-threads", type=int, default=1, help="OpenBLAS threads (0 = leave library default)")
    ap.add_argument("--eval-batch", type=int, default=256)
    ap.add_argument("--bench-infer", type=int, default=0, help="repeat timed test-set inference N times")
    args = ap.parse_args()

    rt = tune_runtime(not args.no_malloc_tune, args.blas_threads)
    torch.set_num_threads(args.threads)
    if args.no_mkldnn:
        torch.backends.mkldnn.enabled = False
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    mem_fmt = torch.channels_last if args.channels_last else torch.contiguous_format

    t = time.perf_counter()
    xtr, ytr, xva, yva, xte, yte = load_fashion_mnist()
    load_s = time.perf_counter() - t
    if args.channels_last:
        xva = xva.contiguous(memory_format=mem_fmt)
        xte = xte.contiguous(memory_format=mem_fmt)
    cfg = torch_config()
    cfg.update(rt)
    print(f"# config: {json.dumps(cfg)}", flush=True)
    print(f"# data: train {tuple(xtr.shape)} val {tuple(xva.shape)} test {tuple(xte.shape)} "
          f"(load {load_s:.2f}s, excluded from timings)", flush=True)

    model = KerasCNN(channels_last=args.channels_last)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    print(f"# params: {n_params(model)}", flush=True)
    opt_kw = dict(lr=args.lr, betas=(0.9, 0.999), eps=args.eps)
    if args.foreach:
        opt_kw["foreach"] = True
    opt = torch.optim.Adam(model.parameters(), **opt_kw)

    history = []
    best, best_epoch, best_state, wait, stopped_epoch = math.inf, None, None, 0, None
    step = 0
    for ep in range(1, args.epochs + 1):
        tr_loss, tr_acc, steps, seen, tr_s, step, ru = train_epoch(
            model, opt, xtr, ytr, args.batch, mem_fmt, gen,
            keras_eps=not args.torch_eps, eps=args.eps, step0=step, max_steps=args.max_steps)
        rec = dict(epoch=ep, train_loss=tr_loss, train_acc=tr_acc, steps=steps, samples=seen,
                   train_s=tr_s, samples_per_s=seen / tr_s, ms_per_step=1000 * tr_s / steps, rusage=ru)
        if not args.no_val:
            t = time.perf_counter()
            va_loss, va_acc = evaluate(model, xva, yva, args.eval_batch, mem_fmt)
            rec.update(val_loss=va_loss, val_acc=va_acc, val_s=time.perf_counter() - t)
        rec["epoch_s"] = rec["train_s"] + rec.get("val_s", 0.0)
        history.append(rec)
        msg = (f"epoch {ep:2d}  loss {tr_loss:.4f} acc {tr_acc:.4f}")
        if not args.no_val:
            msg += f"  val_loss {rec['val_loss']:.4f} val_acc {rec['val_acc']:.4f}"
        msg += (f"  train {tr_s:.2f}s ({seen / tr_s:.0f} samples/s, {rec['ms_per_step']:.2f} ms/step)"
                f"  val {rec.get('val_s', 0):.2f}s  epoch {rec['epoch_s']:.2f}s"
                f"  [cpu user {ru['user_s']:.1f}s sys {ru['sys_s']:.1f}s minflt {ru['minflt']} nivcsw {ru['nivcsw']}]")
        print(msg, flush=True)
        if args.no_val or args.no_early_stop:
            continue
        # Keras EarlyStopping(monitor='val_loss', patience=2, restore_best_weights=True, min_delta=0)
        if rec["val_loss"] < best:
            best, best_epoch, wait = rec["val_loss"], ep, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            wait += 1
            if wait >= args.patience and ep > 1:
                stopped_epoch = ep
                break
    restored = False
    if best_state is not None and (stopped_epoch is not None or best_epoch != len(history)):
        model.load_state_dict(best_state)
        restored = True
        print(f"# early stopping: stopped after epoch {stopped_epoch}, restored best epoch {best_epoch} "
              f"(val_loss {best:.4f})", flush=True)

    result = dict(args=vars(args), config=cfg, params=n_params(model), history=history,
                  epochs_run=len(history), best_epoch=best_epoch, best_val_loss=None if best == math.inf else best,
                  stopped_epoch=stopped_epoch, restored_best=restored, data_load_s=load_s)
    if best_epoch is not None:
        b = history[best_epoch - 1]
        result["best_val_acc"] = b.get("val_acc")
    if not args.no_test:
        t = time.perf_counter()
        te_loss, te_acc = evaluate(model, xte, yte, args.eval_batch, mem_fmt)
        te_s = time.perf_counter() - t
        result.update(test_loss=te_loss, test_acc=te_acc, test_eval_s=te_s)
        print(f"# test: loss {te_loss:.4f} acc {te_acc:.4f}  ({te_s:.2f}s, {xte.shape[0] / te_s:.0f} img/s "
              f"at batch {args.eval_batch})", flush=True)
    if args.bench_infer > 0:
        times = []
        evaluate(model, xte, yte, args.eval_batch, mem_fmt)  # warm-up
        for _ in range(args.bench_infer):
            t = time.perf_counter()
            evaluate(model, xte, yte, args.eval_batch, mem_fmt)
            times.append(time.perf_counter() - t)
        ips = [xte.shape[0] / s for s in times]
        result["infer"] = dict(batch=args.eval_batch, times_s=times, median_s=statistics.median(times),
                               img_per_s=ips, median_img_per_s=xte.shape[0] / statistics.median(times))
        print(f"# inference: {xte.shape[0]} test images at batch {args.eval_batch}: median "
              f"{statistics.median(times) * 1000:.1f} ms = {result['infer']['median_img_per_s']:.0f} img/s "
              f"(min {min(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms, n={len(times)})", flush=True)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
