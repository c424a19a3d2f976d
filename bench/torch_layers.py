#!/usr/bin/python3
"""PyTorch's side of the layer micro-benchmarks: each case of bench/layer_cases.yaml as the
PyTorch module a user would write for it (NCHW, PyTorch's default layout), its forward (training
mode, building the autograd graph) and backward timed on 1 and 2 threads; one JSON object per
case and thread count, as runner_layer_bench prints them. Augmentation layers have no PyTorch
layer: they are written the usual way (flip by torch.where, the affine ones by affine_grid and
grid_sample with reflection padding), random parameters drawn inside the timed forward.
  /usr/bin/python3 bench/torch_layers.py [bench/layer_cases.yaml] [--only NAME] [--seconds S]
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn.functional as F
import yaml


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_padding(kernel, dilation, same):
    return tuple((k // 2) * d for k, d in zip(kernel, dilation)) if same else 0


def affine(theta_of):
    """A random affine resampling: theta_of(n) gives the [n, 2, 3] maps."""
    def forward(x):
        theta = theta_of(x.shape[0])
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection",
                             align_corners=False)
    return forward


def rotation_maps(factor):
    def maps(n):
        a = (torch.rand(n) * 2 - 1) * factor * 2 * math.pi
        c, s = torch.cos(a), torch.sin(a)
        z = torch.zeros(n)
        return torch.stack([torch.stack([c, -s, z], 1), torch.stack([s, c, z], 1)], 1)
    return maps


def zoom_maps(factor):
    def maps(n):
        zoom = 1 + (torch.rand(n) * 2 - 1) * factor
        z = torch.zeros(n)
        return torch.stack([torch.stack([zoom, z, z], 1), torch.stack([z, zoom, z], 1)], 1)
    return maps


def translation_maps(fh, fw):
    def maps(n):
        dy = (torch.rand(n) * 2 - 1) * fh * 2
        dx = (torch.rand(n) * 2 - 1) * fw * 2
        one, z = torch.ones(n), torch.zeros(n)
        return torch.stack([torch.stack([one, z, dx], 1), torch.stack([z, one, dy], 1)], 1)
    return maps


def random_flip(x):
    n = x.shape[0]
    h = torch.rand(n, 1, 1, 1) < 0.5
    v = torch.rand(n, 1, 1, 1) < 0.5
    x = torch.where(h, x.flip(3), x)
    return torch.where(v, x.flip(2), x)


def build(layer, channels):
    """The module (or function) and its parameters for one runner layer entry."""
    t = layer["type"]
    same = layer.get("padding") == "same"
    if t in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D"):
        act = {"relu": F.relu, None: lambda y: y, "linear": lambda y: y}[layer.get("activation")]
        k = pair(layer["kernel_size"])
        s = pair(layer.get("strides", 1))
        d = pair(layer.get("dilation_rate", 1))
        pad = conv_padding(k, d, same)
        if t == "Conv2D":
            conv = torch.nn.Conv2d(channels, layer["filters"], k, s, pad, d)
            return (lambda x: act(conv(x))), list(conv.parameters())
        depthwise = torch.nn.Conv2d(channels, channels * layer.get("depth_multiplier", 1), k, s,
                                    pad, d, groups=channels, bias=(t == "DepthwiseConv2D"))
        if t == "DepthwiseConv2D":
            return (lambda x: act(depthwise(x))), list(depthwise.parameters())
        pointwise = torch.nn.Conv2d(depthwise.out_channels, layer["filters"], 1)
        return (lambda x: act(pointwise(depthwise(x)))), (list(depthwise.parameters()) +
                                                          list(pointwise.parameters()))
    if t == "BatchNormalization":
        bn = torch.nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)
        return bn, list(bn.parameters())
    if t == "AveragePooling2D":
        return torch.nn.AvgPool2d(pair(layer.get("pool_size", 2))), []
    if t == "GlobalAveragePooling2D":
        return (lambda x: x.mean((2, 3))), []
    if t == "GlobalMaxPooling2D":
        return (lambda x: x.amax((2, 3))), []
    if t == "Activation":
        return {"gelu": F.gelu, "relu": F.relu, "tanh": torch.tanh}[layer["activation"]], []
    if t == "LeakyReLU":
        return (lambda x: F.leaky_relu(x, layer.get("alpha", 0.3))), []
    if t == "ZeroPadding2D":
        p = layer["padding"]
        return (lambda x: F.pad(x, (p, p, p, p))), []
    if t == "RandomFlip":
        return random_flip, []
    if t == "RandomRotation":
        return affine(rotation_maps(layer["factor"])), []
    if t == "RandomZoom":
        return affine(zoom_maps(layer["height_factor"])), []
    if t == "RandomTranslation":
        return affine(translation_maps(layer["height_factor"], layer["width_factor"])), []
    raise SystemExit(f"bench/torch_layers.py: no PyTorch counterpart for {t}")


def time_case(case, seconds):
    h, w, c = case["input"]
    n = case["batch"]
    first = case.get("first", False)
    fn, params = build(case["layer"], c)
    x = torch.sin(0.37 * torch.arange(n * c * h * w, dtype=torch.float32)).reshape(n, c, h, w)
    x.requires_grad_(not first)
    needs_backward = bool(params) or not first
    forward, backward = [], []
    begin = time.perf_counter()
    rep = 0
    while rep < 3 or time.perf_counter() - begin < seconds:
        t0 = time.perf_counter()
        y = fn(x)
        f = time.perf_counter() - t0
        b = 0.0
        if needs_backward:
            grad = torch.cos(0.11 * torch.arange(y.numel(), dtype=torch.float32)).reshape(y.shape)
            t0 = time.perf_counter()
            y.backward(grad)
            b = time.perf_counter() - t0
            for p in params:
                p.grad = None
            x.grad = None
        if rep >= 3:
            forward.append(f * 1000)
            backward.append(b * 1000)
        rep += 1
    return statistics.median(forward), statistics.median(backward)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cases", nargs="?", default="bench/layer_cases.yaml")
    parser.add_argument("--only")
    parser.add_argument("--seconds", type=float, default=0.5)
    args = parser.parse_args()
    with open(args.cases) as f:
        cases = yaml.safe_load(f)
    torch.manual_seed(0)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        for case in cases:
            if args.only and case["name"] != args.only:
                continue
            fwd, bwd = time_case(case, args.seconds)
            print(json.dumps({"name": case["name"], "threads": threads,
                              "forward_ms": round(fwd, 4), "backward_ms": round(bwd, 4)}),
                  flush=True)


if __name__ == "__main__":
    main()
