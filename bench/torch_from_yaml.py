"""The PyTorch twin of any runner experiment file, for side-by-side speed measurements.

Reads the experiment's model (the list form or the graph form, where layers name their
inputs), builds the equivalent torch.nn module (Keras semantics: NHWC order for Flatten and
Reshape, TensorFlow's 'same' padding, Keras' initializers do not matter for speed), and times,
as runner_bench times runner: training steps at the experiment's batch size after a warm-up,
inference over the test part at --eval-batch (median of --bench-infer repeats, each of at
least 10,000 images: a smaller test part runs over and over), and batch-1
prediction latency (median of --latency single-sample forwards). Data: Fashion-MNIST (the
short form or a fashion_mnist source), a CSV source (features and label as runner reads them) or
an npy source (x and y files; NHWC images, bytes scaled by 1/255).

runner_bench --model FILE runs it; alone:
  /usr/bin/python3 bench/torch_from_yaml.py --model bench/models/resnet.yaml --threads 2 \\
      --channels-last --steps 300 --bench-infer 3 --json-out /tmp/t.json
"""
import argparse
import csv
import json
import math
import re
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import yaml

from torch_cnn import load_fashion_mnist, tune_runtime

MIN_IMAGES_TIMED = 10000  # the fewest images one timed inference repeat covers


class Unsupported(Exception):
    pass


def snake_case(name):
    """Keras' to_snake_case: how an unnamed layer is named (conv2d, max_pooling2d, ...)."""
    intermediate = re.sub("(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", intermediate).lower()


def pair(value, default=None):
    if value is None:
        return default
    return (value, value) if isinstance(value, int) else tuple(value)


ACTIVATIONS = {
    "linear": lambda x: x, None: lambda x: x, "relu": F.relu, "sigmoid": torch.sigmoid,
    "tanh": torch.tanh, "elu": F.elu, "selu": F.selu, "gelu": F.gelu, "swish": F.silu,
    "silu": F.silu, "softplus": F.softplus, "softmax": lambda x: F.softmax(x, dim=1),
}


def tf_same_pad(x, kernel, stride, dilation, value=0.0):
    """TensorFlow's 'same' padding (the extra pixel at the bottom/right), with `value`."""
    pads = []
    for size, k, s, d in zip(x.shape[2:], kernel, stride, dilation):
        effective = (k - 1) * d + 1
        total = max((math.ceil(size / s) - 1) * s + effective - size, 0)
        pads.append((total // 2, total - total // 2))
    (top, bottom), (left, right) = pads
    return F.pad(x, (left, right, top, bottom), value=value)


class Conv(nn.Module):
    def __init__(self, cfg, in_ch, groups_per_channel=None):
        super().__init__()
        self.kernel = pair(cfg.get("kernel_size"))
        self.stride = pair(cfg.get("strides"), (1, 1))
        self.dilation = pair(cfg.get("dilation_rate"), (1, 1))
        self.same = cfg.get("padding", "valid") == "same"
        if groups_per_channel is None:  # Conv2D
            out, groups = cfg["filters"], 1
        else:  # DepthwiseConv2D
            out, groups = in_ch * groups_per_channel, in_ch
        self.conv = nn.Conv2d(in_ch, out, self.kernel, self.stride, 0, self.dilation, groups,
                              bias=cfg.get("use_bias", True))
        self.act = cfg.get("activation", "linear")

    def forward(self, x):
        if self.same:
            x = tf_same_pad(x, self.kernel, self.stride, self.dilation)
        return ACTIVATIONS[self.act](self.conv(x))


def nhwc_flat(x):
    return x.permute(0, 2, 3, 1).flatten(1) if x.dim() == 4 else x.flatten(1)


class Layer(nn.Module):
    """One experiment layer: a module and the function applying it to its input tensors."""

    def __init__(self, cfg, in_shapes):
        super().__init__()
        t = cfg["type"]
        self.t = t
        self.cfg = cfg
        shape = in_shapes[0]  # torch order without batch: (C, H, W) or (F,)
        self.mod = None
        if t == "Conv2D":
            self.mod = Conv(cfg, shape[0])
        elif t == "DepthwiseConv2D":
            self.mod = Conv(cfg, shape[0], cfg.get("depth_multiplier", 1))
        elif t == "SeparableConv2D":
            depthwise = dict(cfg, activation="linear", use_bias=False)
            pointwise = {"filters": cfg["filters"], "kernel_size": 1,
                         "activation": cfg.get("activation"), "use_bias": cfg.get("use_bias", True)}
            dm = cfg.get("depth_multiplier", 1)
            self.mod = nn.Sequential(Conv(depthwise, shape[0], dm), Conv(pointwise, shape[0] * dm))
        elif t == "Dense":
            if len(shape) != 1:
                raise Unsupported("Dense on a tensor of rank > 1 (add Flatten)")
            self.mod = nn.Linear(shape[0], cfg["units"], bias=cfg.get("use_bias", True))
        elif t == "BatchNormalization":
            kind = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
            self.mod = kind(shape[0], eps=cfg.get("epsilon", 1e-3),
                            momentum=1 - cfg.get("momentum", 0.99))
        elif t == "Dropout":
            self.mod = nn.Dropout(cfg.get("rate", 0.5))
        elif t not in SHAPE_ONLY:
            raise Unsupported(f"layer type {t}")

    def forward(self, xs):
        t, cfg, x = self.t, self.cfg, xs[0]
        if self.mod is not None:
            y = self.mod(x)
            return ACTIVATIONS[cfg.get("activation", "linear")](y) if t == "Dense" else y
        return SHAPE_ONLY[t](cfg, xs)


def pool(kind):
    def apply(cfg, xs):
        size = pair(cfg.get("pool_size"), (2, 2))
        strides = pair(cfg.get("strides"), size)
        x = xs[0]
        if cfg.get("padding", "valid") != "valid":
            # Max pooling's 'same' windows ignore the padding: pad with -inf. (Average pooling's
            # divide by the pixels inside, which F.avg_pool2d's symmetric padding cannot give.)
            if kind is not F.max_pool2d:
                raise Unsupported("average pooling with padding 'same'")
            x = tf_same_pad(x, size, strides, (1, 1), value=-math.inf)
        return kind(x, size, strides)
    return apply


def reshape(cfg, xs):
    target = list(cfg["target_shape"])
    y = nhwc_flat(xs[0]).reshape([xs[0].shape[0]] + target)
    return y.permute(0, 3, 1, 2) if len(target) == 3 else y


def concatenate(cfg, xs):
    axis = cfg.get("axis", -1)
    rank = xs[0].dim()
    keras_axis = axis % rank
    # Keras counts NHWC: its last axis is torch's channel axis 1 for images.
    dim = (1 if keras_axis == rank - 1 else keras_axis + 1) if rank == 4 else keras_axis
    return torch.cat(xs, dim=dim)


def fold(fn):
    def apply(cfg, xs):
        out = xs[0]
        for x in xs[1:]:
            out = fn(out, x)
        return out
    return apply


SHAPE_ONLY = {
    "Flatten": lambda cfg, xs: nhwc_flat(xs[0]),
    "Activation": lambda cfg, xs: ACTIVATIONS[cfg.get("activation", "linear")](xs[0]),
    "LeakyReLU": lambda cfg, xs: F.leaky_relu(xs[0], cfg.get("alpha", 0.3)),
    "MaxPooling2D": pool(F.max_pool2d),
    "AveragePooling2D": pool(F.avg_pool2d),
    "GlobalAveragePooling2D": lambda cfg, xs: xs[0].mean(dim=(2, 3)),
    "GlobalMaxPooling2D": lambda cfg, xs: xs[0].amax(dim=(2, 3)),
    "ZeroPadding2D": lambda cfg, xs: F.pad(xs[0], (1, 1, 1, 1)) if cfg.get("padding", 1) == 1
    else F.pad(xs[0], (cfg["padding"],) * 4),
    "Reshape": reshape,
    "Add": fold(torch.add), "Subtract": fold(torch.sub), "Multiply": fold(torch.mul),
    "Maximum": fold(torch.maximum), "Minimum": fold(torch.minimum),
    "Average": lambda cfg, xs: fold(torch.add)(cfg, xs) / len(xs),
    "Concatenate": concatenate,
}


class Twin(nn.Module):
    """The experiment's model: layers in order, each reading the layers it names (or the one
    before it); the last layer's softmax is left to the loss, as runner folds it."""

    def __init__(self, layers, input_shape, input_name, fold_softmax):
        super().__init__()
        self.input_name = input_name
        names, self.inputs, shapes = [], [], {}
        torch_shape = (input_shape[-1], *input_shape[:-1]) if len(input_shape) == 3 else tuple(input_shape)
        probe = {input_name: torch.zeros((2, *torch_shape))}
        self.layers = nn.ModuleList()
        previous = input_name
        for i, cfg in enumerate(layers):
            cfg = dict(cfg)
            if fold_softmax and i == len(layers) - 1 and cfg.get("activation") == "softmax":
                cfg["activation"] = "linear"
            name = cfg.get("name")
            if not name:
                base = snake_case(cfg["type"])
                name, n = base, 1
                while name in probe or name in names:
                    name, n = f"{base}_{n}", n + 1
            ins = cfg.get("inputs", [previous])
            ins = [ins] if isinstance(ins, str) else list(ins)
            layer = Layer(cfg, [tuple(probe[j].shape[1:]) for j in ins])
            with torch.no_grad():
                layer.eval()
                probe[name] = layer([probe[j] for j in ins])
            self.layers.append(layer)
            self.inputs.append(ins)
            names.append(name)
            previous = name
        self.names = names

    def forward(self, x):
        values = {self.input_name: x}
        for name, ins, layer in zip(self.names, self.inputs, self.layers):
            values[name] = layer([values[j] for j in ins])
        return values[self.names[-1]]


def load_data(experiment, input_shape):
    data = experiment.get("data", {})
    train = data.get("train")
    kind = train if isinstance(train, str) else (train or {}).get("type")
    if data.get("dataset") == "fashion_mnist" or kind == "fashion_mnist":
        xtr, ytr, _, _, xte, yte = load_fashion_mnist()
        return xtr, ytr, xte, yte
    if kind == "npy":
        # NHWC as runner reads it; bytes scaled by 1/255 (runner's `scale: auto`).
        x = np.load(train["x"])
        y = torch.from_numpy(np.load(train["y"]).astype(np.int64))
        x = torch.from_numpy(x.astype(np.float32) / (255.0 if x.dtype == np.uint8 else 1.0))
        if x.dim() == 4:
            x = x.permute(0, 3, 1, 2).contiguous()
        n_test = math.ceil(data.get("test_split", 0.2) * len(y))
        return x, y, x[:n_test], y[:n_test]
    if kind != "csv":
        raise Unsupported(f"data source {kind or data}")
    with open(train["path"], newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    label = header.index(train["label"])
    features = [header.index(c) for c in train.get("features", [])] or \
        [i for i in range(len(header)) if i != label]
    x = torch.tensor([[float(r[i]) for i in features] for r in rows], dtype=torch.float32)
    classes = sorted({r[label] for r in rows})
    y = torch.tensor([classes.index(r[label]) for r in rows])
    n_test = math.ceil(data.get("test_split", 0.2) * len(rows))
    return x, y, x[:n_test], y[:n_test]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a runner experiment file")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--channels-last", action="store_true")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--bench-infer", type=int, default=3)
    ap.add_argument("--eval-batch", type=int, default=256)
    ap.add_argument("--latency", type=int, default=200, help="batch-1 forwards timed")
    ap.add_argument("--json-out")
    args = ap.parse_args()
    tune_runtime(True, 1)
    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    with open(args.model, encoding="utf-8") as f:
        experiment = yaml.safe_load(f)
    model_cfg = experiment["model"]
    input_shape = model_cfg.get("input_shape", [28, 28, 1])
    compile_cfg = experiment.get("compile", {})
    loss_name = compile_cfg.get("loss", "sparse_categorical_crossentropy")
    loss_name = loss_name if isinstance(loss_name, str) else loss_name["type"]
    batch = experiment.get("fit", {}).get("batch_size", 32)
    try:
        model = Twin(model_cfg["layers"], input_shape, model_cfg.get("input_name", "input_1"),
                     fold_softmax=loss_name == "sparse_categorical_crossentropy")
        xtr, ytr, xte, yte = load_data(experiment, input_shape)
    except (Unsupported, KeyError) as e:
        print(f"torch_from_yaml: {args.model}: not supported here: {e}", file=sys.stderr)
        return 2
    images = len(input_shape) == 3
    fmt = torch.channels_last if args.channels_last and images else torch.contiguous_format
    model = model.to(memory_format=fmt)
    if loss_name == "sparse_categorical_crossentropy":
        loss_fn = F.cross_entropy
    elif loss_name == "binary_crossentropy":
        loss_fn = lambda out, y: F.binary_cross_entropy(out.squeeze(1), y.float())  # noqa: E731
    else:
        loss_fn = lambda out, y: F.mse_loss(out.squeeze(1), y.float())  # noqa: E731
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    gen = torch.Generator().manual_seed(42)

    model.train()
    t0 = None
    for step in range(args.warmup + args.steps):
        if step == args.warmup:
            t0 = time.perf_counter()
        idx = torch.randint(0, xtr.shape[0], (batch,), generator=gen)
        xb = xtr[idx].contiguous(memory_format=fmt) if images else xtr[idx]
        loss = loss_fn(model(xb), ytr[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    train_s = time.perf_counter() - t0

    model.eval()
    times = []
    # A test part smaller than MIN_IMAGES_TIMED runs over and over within one timed repeat, as in
    # runner_bench's worker.
    passes = -(-MIN_IMAGES_TIMED // xte.shape[0])
    with torch.no_grad():
        for r in range(args.bench_infer + 1):  # the first is a warm-up
            t = time.perf_counter()
            for _ in range(passes):
                for i in range(0, xte.shape[0], args.eval_batch):
                    xb = xte[i:i + args.eval_batch]
                    model(xb.contiguous(memory_format=fmt) if images else xb)
            if r > 0:
                times.append((time.perf_counter() - t) / passes)
        one = xte[:1].contiguous(memory_format=fmt) if images else xte[:1]
        latencies = []
        for r in range(20 + args.latency):
            t = time.perf_counter()
            model(one)
            if r >= 20:
                latencies.append(time.perf_counter() - t)
    result = {
        "params": sum(p.numel() for p in model.parameters()),
        "history": [{"samples_per_s": args.steps * batch / train_s}],
        "infer": {"median_img_per_s": xte.shape[0] / statistics.median(times)},
        "latency_ms": 1e3 * statistics.median(latencies),
    }
    print(json.dumps(result))
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(result, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
