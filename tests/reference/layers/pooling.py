#!/usr/bin/python3
"""AveragePooling2D, GlobalAveragePooling2D and GlobalMaxPooling2D forward from PyTorch.

TensorFlow's 'same' average pooling pads bottom/right and averages only the valid taps:
PyTorch's avg_pool2d of the zero-padded input divided by the pooled count of ones.
"""
import torch.nn.functional as F
import torch

from reference import nchw, nhwc, write_header, x_nhwc

x = nchw(x_nhwc((2, 5, 5, 3)))
valid = F.avg_pool2d(x, 2)
padded = F.pad(x, (0, 1, 0, 1))
ones = F.pad(torch.ones_like(x), (0, 1, 0, 1))
same = F.avg_pool2d(padded, 2) / F.avg_pool2d(ones, 2)
overlap = F.avg_pool2d(x, 3, stride=1)
write_header("pooling", [
    ("kAvgPoolValid", "AveragePooling2D pool 2 valid; x (2,5,5,3)", nhwc(valid)),
    ("kAvgPoolSame", "AveragePooling2D pool 2 same", nhwc(same)),
    ("kAvgPoolOverlap", "AveragePooling2D pool 3 strides 1 valid", nhwc(overlap)),
    ("kGlobalAvg", "GlobalAveragePooling2D; x (2,5,5,3)", x.mean(dim=(2, 3)).numpy()),
    ("kGlobalMax", "GlobalMaxPooling2D; x (2,5,5,3)", x.amax(dim=(2, 3)).numpy()),
])
