#!/usr/bin/python3
"""Activation and LeakyReLU forward and input gradient (dy = cos(0.11 i)) from PyTorch."""
import numpy as np
import torch
import torch.nn.functional as F

from reference import write_header, x_nhwc

x = torch.tensor(x_nhwc((2, 3, 4)) * 3, requires_grad=True)  # values in [-3, 3]
dy = torch.cos(0.11 * torch.arange(x.numel(), dtype=torch.float64)).float().reshape(x.shape)
fns = {
    "Relu": F.relu, "Sigmoid": torch.sigmoid, "Tanh": torch.tanh, "Elu": F.elu, "Selu": F.selu,
    "Gelu": lambda t: F.gelu(t, approximate="none"), "Swish": F.silu,
    "LeakyRelu": lambda t: F.leaky_relu(t, 0.2), "Softmax": lambda t: torch.softmax(t, -1),
    "LeakyReluLayer": lambda t: F.leaky_relu(t, 0.3),
}
arrays = []
for name, fn in fns.items():
    x.grad = None
    y = fn(x)
    y.backward(dy)
    arrays.append((f"kActivation{name}", f"{name} of 3 sin(0.37 i), shape (2,3,4)", y.detach().numpy()))
    arrays.append((f"kActivation{name}Grad", f"{name} input gradient for dy = cos(0.11 i)", x.grad.numpy()))
write_header("activation", arrays)
