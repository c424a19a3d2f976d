#!/usr/bin/python3
"""DepthwiseConv2D and SeparableConv2D from PyTorch (F.conv2d with groups = input channels).

Weights are cos(0.23 i) / 2 per tensor in Keras' layouts (depthwise (kh, kw, in, multiplier),
pointwise (1, 1, in * multiplier, filters)), biases [0.1, -0.2, 0.3, ...]; 'same' pads as
TensorFlow does (total max((out - 1) * stride + span - in, 0), the odd one at the bottom/right)."""
import numpy as np
import torch
import torch.nn.functional as F

from reference import nchw, nhwc, write_header, x_nhwc


def cosine(shape):
    n = int(np.prod(shape))
    return (np.cos(0.23 * np.arange(n)) / 2).astype(np.float32).reshape(shape)


def bias(n):
    return torch.tensor([0.1 * (i + 1) * (-1) ** i for i in range(n)], dtype=torch.float32)


def same_pad(size, k, stride, dilation):
    span = (k - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def depthwise(x, kh, kw, multiplier, stride=1, dilation=1, same=False, with_bias=True):
    c = x.shape[3]
    k = cosine((kh, kw, c, multiplier)).reshape(kh, kw, c * multiplier).transpose(2, 0, 1)
    t = nchw(x)
    if same:
        top, bottom = same_pad(x.shape[1], kh, stride, dilation)
        left, right = same_pad(x.shape[2], kw, stride, dilation)
        t = F.pad(t, (left, right, top, bottom))
    b = bias(c * multiplier) if with_bias else None
    return F.conv2d(t, torch.tensor(k)[:, None], b, stride=stride, dilation=dilation, groups=c)


def separable(x, k, multiplier, filters, stride=1, same=False):
    mid = depthwise(x, k, k, multiplier, stride=stride, same=same, with_bias=False)
    p = cosine((1, 1, mid.shape[1], filters)).reshape(mid.shape[1], filters).T
    return F.conv2d(mid, torch.tensor(p)[:, :, None, None], bias(filters))


x = x_nhwc((2, 6, 7, 3))
write_header("depthwise_conv", [
    ("kDepthwiseSame", "DepthwiseConv2D 3x3, depth_multiplier 2, same; x (2,6,7,3)",
     nhwc(depthwise(x, 3, 3, 2, same=True))),
    ("kDepthwiseStride2Relu", "DepthwiseConv2D 3x2, strides 2, valid, relu",
     nhwc(torch.relu(depthwise(x, 3, 2, 1, stride=2)))),
    ("kDepthwiseDilatedSame", "DepthwiseConv2D 3x3, dilation 2, same",
     nhwc(depthwise(x, 3, 3, 1, dilation=2, same=True))),
    ("kSeparableSame", "SeparableConv2D 4 filters, 3x3, depth_multiplier 2, same",
     nhwc(separable(x, 3, 2, 4, same=True))),
    ("kSeparableStride2Tanh", "SeparableConv2D 5 filters, 3x3, strides 2, same, tanh",
     nhwc(torch.tanh(separable(x, 3, 1, 5, stride=2, same=True)))),
])
