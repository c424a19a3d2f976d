"""Writes a Keras 2.11 Functional model file by hand, and the outputs it must give.

No Keras is installed here (Debian 12 has no TensorFlow), so the file follows the layout Keras
2.11's hdf5_format.save_model_to_hdf5 writes, read from its sources: root attributes
keras_version, backend and model_config (Functional get_config: layers with inbound_nodes,
input_layers, output_layers), /model_weights with layer_names (the InputLayer included) and one
group per layer holding weight_names and the weights under <layer>/<weight>:0.

The model: x = Input((6, 6, 2)); a = Conv2D(3, 3, padding="same", activation="relu")(x);
b = Conv2D(3, 3, padding="same")(a); s = Add()([b, a]); c = Concatenate()([s, x]);
g = GlobalAveragePooling2D()(c); y = Dense(4, activation="softmax")(g).
Its outputs on three inputs are computed here with NumPy (float64) and written as a C++ header.

Run with Debian's python3 (numpy, h5py):
  /usr/bin/python3 tests/reference/keras_functional_fixture.py
"""
import json
import pathlib

import h5py
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
H5 = ROOT / "tests/fixtures/keras/functional_residual.h5"
HEADER = ROOT / "tests/io/keras_functional_reference.hpp"

rng = np.random.default_rng(20)
weights = {
    "conv2d": {"kernel": rng.uniform(-0.5, 0.5, (3, 3, 2, 3)), "bias": rng.uniform(-0.1, 0.1, 3)},
    "conv2d_1": {"kernel": rng.uniform(-0.5, 0.5, (3, 3, 3, 3)), "bias": rng.uniform(-0.1, 0.1, 3)},
    "dense": {"kernel": rng.uniform(-0.8, 0.8, (5, 4)), "bias": rng.uniform(-0.1, 0.1, 4)},
}
weights = {
    layer: {k: v.astype(np.float32) for k, v in w.items()} for layer, w in weights.items()
}
inputs = rng.uniform(-1, 1, (3, 6, 6, 2)).astype(np.float32)


def conv_same(x, kernel, bias):
    n, h, w, _ = x.shape
    padded = np.pad(x.astype(np.float64), ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = np.zeros((n, h, w, kernel.shape[3]))
    for i in range(3):
        for j in range(3):
            out += np.einsum("nhwc,cf->nhwf", padded[:, i : i + h, j : j + w, :], kernel[i, j])
    return out + bias


a = np.maximum(conv_same(inputs, weights["conv2d"]["kernel"], weights["conv2d"]["bias"]), 0)
b = conv_same(a, weights["conv2d_1"]["kernel"], weights["conv2d_1"]["bias"])
c = np.concatenate([b + a, inputs.astype(np.float64)], axis=-1)
g = c.mean(axis=(1, 2))
logits = g @ weights["dense"]["kernel"] + weights["dense"]["bias"]
expected = np.exp(logits - logits.max(axis=1, keepdims=True))
expected /= expected.sum(axis=1, keepdims=True)


def conv_config(name, activation):
    return {"name": name, "trainable": True, "dtype": "float32", "filters": 3,
            "kernel_size": [3, 3], "strides": [1, 1], "padding": "same",
            "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1,
            "activation": activation, "use_bias": True,
            "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None}


def layer(class_name, config, inbound):
    nodes = [[[name, 0, 0, {}] for name in inbound]] if inbound else []
    return {"class_name": class_name, "config": config, "name": config["name"],
            "inbound_nodes": nodes}


def plain(name):
    return {"name": name, "trainable": True, "dtype": "float32"}


layers = [
    layer("InputLayer", {"batch_input_shape": [None, 6, 6, 2], "dtype": "float32",
                         "sparse": False, "ragged": False, "name": "input_1"}, []),
    layer("Conv2D", conv_config("conv2d", "relu"), ["input_1"]),
    layer("Conv2D", conv_config("conv2d_1", "linear"), ["conv2d"]),
    layer("Add", plain("add"), ["conv2d_1", "conv2d"]),
    layer("Concatenate", dict(plain("concatenate"), axis=-1), ["add", "input_1"]),
    layer("GlobalAveragePooling2D", dict(plain("global_average_pooling2d"),
                                         data_format="channels_last", keepdims=False),
          ["concatenate"]),
    layer("Dense", {"name": "dense", "trainable": True, "dtype": "float32", "units": 4,
                    "activation": "softmax", "use_bias": True,
                    "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
                    "bias_initializer": {"class_name": "Zeros", "config": {}},
                    "kernel_regularizer": None, "bias_regularizer": None,
                    "activity_regularizer": None, "kernel_constraint": None,
                    "bias_constraint": None}, ["global_average_pooling2d"]),
]
model_config = {"class_name": "Functional",
                "config": {"name": "model", "layers": layers,
                           "input_layers": [["input_1", 0, 0]],
                           "output_layers": [["dense", 0, 0]]}}

H5.parent.mkdir(parents=True, exist_ok=True)
strings = h5py.special_dtype(vlen=str)
with h5py.File(H5, "w") as f:
    f.attrs["backend"] = "tensorflow"
    f.attrs["keras_version"] = "2.11.0"
    f.attrs["model_config"] = json.dumps(model_config)
    group = f.create_group("model_weights")
    group.attrs["backend"] = "tensorflow"
    group.attrs["keras_version"] = "2.11.0"
    names = [entry["name"] for entry in layers]
    group.attrs.create("layer_names", names, dtype=strings)
    for name in names:
        g = group.create_group(name)
        if name not in weights:
            g.attrs["weight_names"] = np.array([])  # what Keras writes for a weightless layer
            continue
        weight_names = [f"{name}/kernel:0", f"{name}/bias:0"]
        g.attrs.create("weight_names", weight_names, dtype=strings)
        for weight in ("kernel", "bias"):
            g.create_dataset(f"{name}/{weight}:0", data=weights[name][weight])


def floats(values):
    return ", ".join(f"{v:.9g}F" for v in np.asarray(values).ravel())


HEADER.write_text(f"""#pragma once
// Generated by tests/reference/keras_functional_fixture.py: the inputs and softmax outputs of
// tests/fixtures/keras/functional_residual.h5 (a hand-written Keras 2.11 Functional file).
#include <vector>

namespace runner::test::keras_functional {{
inline const std::vector<float> kInputs = {{{floats(inputs)}}};
inline const std::vector<float> kOutputs = {{{floats(expected)}}};
}}  // namespace runner::test::keras_functional
""")
print(f"wrote {H5.relative_to(ROOT)} and {HEADER.relative_to(ROOT)}")
