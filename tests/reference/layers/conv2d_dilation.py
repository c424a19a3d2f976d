#!/usr/bin/python3
"""Conv2D with dilation_rate from PyTorch (F.conv2d(dilation=...)); kernel cos(0.23 i) / 2 in
Keras' (kh, kw, in, out) layout, bias [0.1, -0.2, 0.3]; 'same' pads as TensorFlow does
(total (k - 1) * d, the extra row/column at the bottom/right)."""
import numpy as np
import torch
import torch.nn.functional as F

from reference import nchw, nhwc, write_header, x_nhwc

x = x_nhwc((2, 7, 8, 2))
k = (np.cos(0.23 * np.arange(3 * 3 * 2 * 3)) / 2).astype(np.float32).reshape(3, 3, 2, 3)
b = torch.tensor([0.1, -0.2, 0.3])
kt = torch.tensor(k).permute(3, 2, 0, 1)
valid = F.conv2d(nchw(x), kt, b, dilation=2)
same = F.conv2d(F.pad(nchw(x), (3, 3, 2, 2)), kt, b, dilation=(2, 3))
write_header("conv2d_dilation", [
    ("kConvDilated", "Conv2D 3 filters, 3x3, dilation 2, valid; x (2,7,8,2)", nhwc(valid)),
    ("kConvDilatedSame", "Conv2D 3 filters, 3x3, dilation [2, 3], same", nhwc(same)),
])
