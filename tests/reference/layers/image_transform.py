#!/usr/bin/python3
"""Affine resampling as Keras' augmentation layers do it (TensorFlow's ImageProjectiveTransformV3),
computed with SciPy's map_coordinates: TF's reflect equals SciPy's 'reflect', its nearest fill
SciPy's 'nearest', its constant fill SciPy's 'grid-constant' (bilinear, order=1). Each case is
an image of x_nhwc((1, 5, 6, 2)) and one map: output (x, y) reads input
(a0 x + a1 y + a2, b0 x + b1 y + b2)."""
import math

import numpy as np
from scipy import ndimage

from reference import write_header, x_nhwc

x = x_nhwc((1, 5, 6, 2))[0]
H, W, C = x.shape


def resample(m, mode, cval=0.0, order=1):
    oy, ox = np.meshgrid(np.arange(H, dtype=np.float32), np.arange(W, dtype=np.float32),
                         indexing="ij")
    m = np.asarray(m, dtype=np.float32)
    ix = m[0] * ox + m[1] * oy + m[2]
    iy = m[3] * ox + m[4] * oy + m[5]
    out = np.stack([ndimage.map_coordinates(x[:, :, c], [iy, ix], order=order, mode=mode,
                                            cval=cval) for c in range(C)], axis=-1)
    return out[None]


def rotation(angle):
    c, s = math.cos(angle), math.sin(angle)
    w, h = W - 1, H - 1
    return [c, -s, (w - (c * w - s * h)) / 2, s, c, (h - (s * w + c * h)) / 2]


def zoom(zx, zy):
    return [zx, 0, (W - 1) / 2 * (1 - zx), 0, zy, (H - 1) / 2 * (1 - zy)]


write_header("image_transform", [
    ("kRotateReflect", "rotation 0.3 rad, fill reflect, bilinear", resample(rotation(0.3), "reflect")),
    ("kZoomConstant", "zoom x 1.3, y 0.8, fill constant 0.5, bilinear",
     resample(zoom(1.3, 0.8), "grid-constant", cval=0.5)),
    ("kShiftNearest", "translation by (-1.7, 2.2), fill nearest, bilinear",
     resample([1, 0, 1.7, 0, 1, -2.2], "nearest")),
    ("kRotateLargeReflect", "rotation 2.1 rad (points far outside), fill reflect, bilinear",
     resample(rotation(2.1), "reflect")),
])
