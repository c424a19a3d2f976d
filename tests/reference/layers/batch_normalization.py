#!/usr/bin/python3
"""BatchNormalization from PyTorch: training forward, gradients, moving statistics, inference.

Keras momentum 0.9 is PyTorch momentum 0.1; epsilon 0.001. Images (rank-3 samples) move the
variance towards the unbiased batch variance in both (Keras through TensorFlow's fused kernel);
rank-1 samples move it towards the biased one in Keras, computed here with numpy.
"""
import numpy as np
import torch

from reference import nchw, nhwc, write_header, x_nhwc

arrays = []
# Images: (4, 3, 3, 2), x = 2 sin(0.37 i) + 0.5, dy = cos(0.11 i).
x = nchw(x_nhwc((4, 3, 3, 2)) * 2 + 0.5).clone().requires_grad_(True)
bn = torch.nn.BatchNorm2d(2, eps=1e-3, momentum=0.1)
y = bn(x)
dy = nchw(np.cos(0.11 * np.arange(72, dtype=np.float64)).astype(np.float32).reshape(4, 3, 3, 2))
y.backward(dy)
arrays += [
    ("kBatchNormImageTrain", "training forward, x (4,3,3,2)", nhwc(y)),
    ("kBatchNormImageGradInput", "input gradient for dy = cos(0.11 i)", nhwc(x.grad)),
    ("kBatchNormImageGradGamma", "gamma gradient", bn.weight.grad.numpy()),
    ("kBatchNormImageGradBeta", "beta gradient", bn.bias.grad.numpy()),
    ("kBatchNormImageMovingMean", "moving_mean after one step", bn.running_mean.numpy()),
    ("kBatchNormImageMovingVariance", "moving_variance after one step", bn.running_var.numpy()),
]
bn.eval()
arrays.append(("kBatchNormImageInference", "inference forward after that step", nhwc(bn(x))))

# Vectors: (5, 3), x = 2 sin(0.37 i) + 0.5; moving variance from the biased batch variance.
v = x_nhwc((5, 3)) * 2 + 0.5
yv = torch.nn.functional.batch_norm(torch.tensor(v), None, None, training=True, eps=1e-3)
arrays += [
    ("kBatchNormVectorTrain", "training forward, x (5,3)", yv.numpy()),
    ("kBatchNormVectorMovingVariance", "moving_variance after one step (biased, Keras' non-fused)",
     0.9 * 1.0 + 0.1 * v.astype(np.float64).var(axis=0)),
]
write_header("batch_normalization", arrays)
