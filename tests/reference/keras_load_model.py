#!/usr/bin/python3
"""Keras 2.11's load_model(FILE.h5), emulated step by step with h5py (no TensorFlow here).

Follows keras/saving/legacy/hdf5_format.py:load_model_from_hdf5 at tag v2.11.0:
  1. model_config -> model_from_config: every layer class known, every config key one its
     constructor takes (cls(**config) raises TypeError otherwise), required arguments present,
     a Functional model's inbound nodes naming earlier layers.
  2. load_weights_from_hdf5_group(f["model_weights"]): the saved layers with weights, in order,
     match the model's; each has as many weights as the layer creates, of the shapes it creates
     (worked out here from the configs, as build() would).
  3. training_config -> compile: optimizers.deserialize (is_legacy_optimizer decides between the
     new and the legacy classes; "Custom>Adam" is the new Adam's registered name), the
     optimizer's from_config (its constructor's keys; a schedule's class and keys), the loss and
     metrics by Keras' deserializers, loss_weights present.
  4. optimizer.build(model.trainable_variables) then set_weights(optimizer_weights): the saved
     list must be the optimizer's variables in build order ([iteration] then, for the new Adam,
     m and v per variable, then vhat per variable with amsgrad; RMSprop every velocity, then
     every momentum, then every average_gradient; SGD an m per variable; Adagrad an accumulator
     per variable), same count (set_weights zips, so a short list silently keeps fresh slots)
     and same shapes, and each saved name the slot and variable it is assigned to.

The tables of constructor arguments and registered names were read from the Keras 2.11.0
sources (each class's __init__ signature, with **kwargs resolved to Layer's allowed keys).

Usage: keras_load_model.py FILE.h5   exit 0: Keras would load the model with its optimizer
                                     state; exit 1: what Keras would do instead.
"""
import json
import math
import sys

import h5py

LAYER_BASE = {"trainable", "name", "dtype", "dynamic", "input_dim", "input_shape",
              "batch_input_shape", "batch_size", "weights", "activity_regularizer", "autocast",
              "implementation"}
CONV = {"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups",
        "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
        "bias_regularizer", "kernel_constraint", "bias_constraint"}
POOL = {"pool_size", "strides", "padding", "data_format"}
LAYERS = {  # class -> (its own constructor keys, required keys)
    "InputLayer": ({"input_shape", "batch_size", "dtype", "input_tensor", "sparse", "name",
                    "ragged", "type_spec", "batch_input_shape"}, set()),
    "Activation": ({"activation"}, {"activation"}),
    "Add": (set(), set()), "Subtract": (set(), set()), "Multiply": (set(), set()),
    "Average": (set(), set()), "Maximum": (set(), set()), "Minimum": (set(), set()),
    "Concatenate": ({"axis"}, set()),
    "AveragePooling2D": (POOL, set()), "MaxPooling2D": (POOL, set()),
    "GlobalAveragePooling2D": ({"data_format", "keepdims"}, set()),
    "GlobalMaxPooling2D": ({"data_format", "keepdims"}, set()),
    "BatchNormalization": ({"axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
                            "gamma_initializer", "moving_mean_initializer",
                            "moving_variance_initializer", "beta_regularizer",
                            "gamma_regularizer", "beta_constraint", "gamma_constraint",
                            "renorm", "renorm_clipping", "renorm_momentum", "fused",
                            "virtual_batch_size", "adjustment", "synchronized"}, set()),
    "Conv2D": (CONV, {"filters", "kernel_size"}),
    "DepthwiseConv2D": ((CONV - {"filters", "groups", "kernel_initializer", "kernel_regularizer",
                                 "kernel_constraint"})
                        | {"depth_multiplier", "depthwise_initializer", "depthwise_regularizer",
                           "depthwise_constraint"}, {"kernel_size"}),
    "SeparableConv2D": ((CONV - {"groups", "kernel_initializer", "kernel_regularizer",
                                 "kernel_constraint"})
                        | {"depth_multiplier", "depthwise_initializer", "pointwise_initializer",
                           "depthwise_regularizer", "pointwise_regularizer",
                           "depthwise_constraint", "pointwise_constraint"},
                        {"filters", "kernel_size"}),
    "Dense": ({"units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
               "kernel_regularizer", "bias_regularizer", "kernel_constraint",
               "bias_constraint"}, {"units"}),
    "Dropout": ({"rate", "noise_shape", "seed"}, {"rate"}),
    "Flatten": ({"data_format"}, set()),
    "LeakyReLU": ({"alpha"}, set()),
    "Reshape": ({"target_shape"}, {"target_shape"}),
    "ZeroPadding2D": ({"padding", "data_format"}, set()),
    "RandomFlip": ({"mode", "seed"}, set()),
    "RandomRotation": ({"factor", "fill_mode", "interpolation", "seed", "fill_value"},
                       {"factor"}),
    "RandomTranslation": ({"height_factor", "width_factor", "fill_mode", "interpolation", "seed",
                           "fill_value"}, {"height_factor", "width_factor"}),
    "RandomZoom": ({"height_factor", "width_factor", "fill_mode", "interpolation", "seed",
                    "fill_value"}, {"height_factor"}),
}
INITIALIZERS = {"Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
                "LecunNormal", "LecunUniform", "Orthogonal", "RandomNormal", "RandomUniform",
                "TruncatedNormal", "VarianceScaling", "Zeros", "Ones"}
REGULARIZERS = {"L1L2": {"l1", "l2"}, "L1": {"l1"}, "L2": {"l2"},
                "OrthogonalRegularizer": {"factor", "mode"}}
OPTIMIZER_BASE = {"weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema",
                  "ema_momentum", "ema_overwrite_frequency", "jit_compile", "name",
                  "learning_rate", "is_legacy_optimizer", "lr"}
OPTIMIZERS = {  # the new (optimizer_experimental) classes: own keys
    "Adam": {"beta_1", "beta_2", "epsilon", "amsgrad"},
    "AdamW": {"beta_1", "beta_2", "epsilon", "amsgrad"},
    "Nadam": {"beta_1", "beta_2", "epsilon"},
    "Adagrad": {"initial_accumulator_value", "epsilon"},
    "RMSprop": {"rho", "momentum", "epsilon", "centered"},
    "SGD": {"momentum", "nesterov", "amsgrad"},
}
# optimizers.deserialize's table for the new classes (lower-cased names) and the registered
# "Custom>" names of register_keras_serializable().
NEW_BY_LOWER_NAME = {"adagrad": "Adagrad", "adam": "Adam", "nadam": "Nadam",
                     "rmsprop": "RMSprop", "sgd": "SGD"}
SCHEDULES = {
    "ExponentialDecay": {"initial_learning_rate", "decay_steps", "decay_rate", "staircase",
                         "name"},
    "PiecewiseConstantDecay": {"boundaries", "values", "name"},
    "PolynomialDecay": {"initial_learning_rate", "decay_steps", "end_learning_rate", "power",
                        "cycle", "name"},
    "InverseTimeDecay": {"initial_learning_rate", "decay_steps", "decay_rate", "staircase",
                         "name"},
    "CosineDecay": {"initial_learning_rate", "decay_steps", "alpha", "name"},
    "CosineDecayRestarts": {"initial_learning_rate", "first_decay_steps", "t_mul", "m_mul",
                            "alpha", "name"},
}
LOSS_NAMES = {"binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
              "categorical_hinge", "cosine_similarity", "hinge", "huber", "huber_loss",
              "kl_divergence", "kld", "kullback_leibler_divergence", "log_cosh", "logcosh",
              "mae", "mape", "mean_absolute_error", "mean_absolute_percentage_error",
              "mean_squared_error", "mean_squared_logarithmic_error", "mse", "msle", "poisson",
              "sparse_categorical_crossentropy", "squared_hinge", "bce"}
METRIC_FUNCTIONS = {"accuracy", "acc", "binary_accuracy", "categorical_accuracy",
                    "sparse_categorical_accuracy", "top_k_categorical_accuracy",
                    "sparse_top_k_categorical_accuracy", "mae", "mape", "mse", "msle",
                    "mean_absolute_error", "mean_absolute_percentage_error",
                    "mean_squared_error", "mean_squared_logarithmic_error",
                    "binary_crossentropy", "categorical_crossentropy",
                    "sparse_categorical_crossentropy", "hinge", "squared_hinge",
                    "categorical_hinge", "poisson", "log_cosh", "logcosh", "cosine_similarity",
                    "kullback_leibler_divergence"}
METRIC_CLASSES = {  # class -> constructor keys
    "MeanMetricWrapper": None,  # fn, name, dtype, and fn's own keyword arguments
    "AUC": {"num_thresholds", "curve", "summation_method", "name", "dtype", "thresholds",
            "multi_label", "num_labels", "label_weights", "from_logits"},
    "Precision": {"thresholds", "top_k", "class_id", "name", "dtype"},
    "Recall": {"thresholds", "top_k", "class_id", "name", "dtype"},
    "RootMeanSquaredError": {"name", "dtype"},
    "MeanAbsoluteError": {"name", "dtype"}, "MeanSquaredError": {"name", "dtype"},
    "BinaryAccuracy": {"name", "dtype", "threshold"},
    "CategoricalAccuracy": {"name", "dtype"}, "SparseCategoricalAccuracy": {"name", "dtype"},
    "TopKCategoricalAccuracy": {"k", "name", "dtype"},
    "SparseTopKCategoricalAccuracy": {"k", "name", "dtype"},
}


class KerasWouldFail(Exception):
    pass


def fail(message):
    raise KerasWouldFail(message)


def text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def pair(value):
    return list(value) if isinstance(value, (list, tuple)) else [value, value]


def check_object(config, where, table, what):
    """A serialized {class_name, config} (an initializer, a regularizer): a known class."""
    if config is None:
        return
    if not isinstance(config, dict) or config.get("class_name") not in table:
        fail(f"{where}: unknown {what} {json.dumps(config)}")
    if isinstance(table, dict):
        extra = set(config.get("config", {})) - table[config["class_name"]]
        if extra:
            fail(f"{where}: {config['class_name']} takes no {sorted(extra)}")


# 1. model_from_config ----------------------------------------------------------------------
def check_layer_config(layer):
    cls = layer.get("class_name")
    config = layer.get("config", {})
    name = config.get("name", "?")
    if cls not in LAYERS:
        fail(f"layer {name}: unknown layer class {cls} (ValueError: Unknown layer)")
    own, required = LAYERS[cls]
    accepted = own | (LAYER_BASE if cls != "InputLayer" else set())
    extra = set(config) - accepted
    if extra:
        fail(f"layer {name} ({cls}): TypeError, unexpected keyword arguments {sorted(extra)}")
    missing = required - set(config)
    if missing:
        fail(f"layer {name} ({cls}): missing required arguments {sorted(missing)}")
    for key, value in config.items():
        if key.endswith("_initializer"):
            check_object(value, f"layer {name}.{key}", INITIALIZERS, "initializer")
        elif key.endswith("_regularizer"):
            check_object(value, f"layer {name}.{key}", REGULARIZERS, "regularizer")
    if config.get("data_format", "channels_last") != "channels_last":
        fail(f"layer {name}: data_format {config['data_format']} (runner writes channels_last)")


def window(size, kernel, stride, padding, dilation=1):
    if padding == "same":
        return -(-size // stride)
    return (size - dilation * (kernel - 1) - 1) // stride + 1


def output_and_weights(cls, config, inputs):
    """The layer's output shape (no batch axis) and [(weight name, shape, trainable)]."""
    shape = list(inputs[0]) if inputs else None
    bias = config.get("use_bias", True)
    if cls == "InputLayer":
        return list(config["batch_input_shape"][1:]), []
    if cls in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D"):
        kh, kw = pair(config["kernel_size"])
        sh, sw = pair(config.get("strides", 1))
        dh, dw = pair(config.get("dilation_rate", 1))
        pad = config.get("padding", "valid")
        h, w, c = shape
        out = [window(h, kh, sh, pad, dh), window(w, kw, sw, pad, dw)]
        if cls == "Conv2D":
            filters = config["filters"]
            weights = [("kernel", [kh, kw, c // config.get("groups", 1), filters], True)]
        elif cls == "DepthwiseConv2D":
            filters = c * config.get("depth_multiplier", 1)
            weights = [("depthwise_kernel", [kh, kw, c, config.get("depth_multiplier", 1)],
                        True)]
        else:
            dm = config.get("depth_multiplier", 1)
            filters = config["filters"]
            weights = [("depthwise_kernel", [kh, kw, c, dm], True),
                       ("pointwise_kernel", [1, 1, c * dm, filters], True)]
        if bias:
            weights.append(("bias", [filters], True))
        return out + [filters], weights
    if cls == "Dense":
        units = config["units"]
        weights = [("kernel", [shape[-1], units], True)] + ([("bias", [units], True)]
                                                            if bias else [])
        return shape[:-1] + [units], weights
    if cls == "BatchNormalization":
        c = shape[-1]
        weights = ([("gamma", [c], True)] if config.get("scale", True) else []) + \
                  ([("beta", [c], True)] if config.get("center", True) else []) + \
                  [("moving_mean", [c], False), ("moving_variance", [c], False)]
        return shape, weights
    if cls in ("MaxPooling2D", "AveragePooling2D"):
        ph, pw = pair(config.get("pool_size", 2))
        strides = config.get("strides") or [ph, pw]
        sh, sw = pair(strides)
        pad = config.get("padding", "valid")
        return [window(shape[0], ph, sh, pad), window(shape[1], pw, sw, pad), shape[2]], []
    if cls in ("GlobalAveragePooling2D", "GlobalMaxPooling2D"):
        return ([1, 1, shape[2]] if config.get("keepdims") else [shape[2]]), []
    if cls == "Flatten":
        return [math.prod(shape)], []
    if cls == "Reshape":
        target = list(config["target_shape"])
        if -1 in target:
            known = math.prod(d for d in target if d != -1)
            target[target.index(-1)] = math.prod(shape) // known
        return target, []
    if cls == "ZeroPadding2D":
        padding = config.get("padding", 1)
        rows, cols = (pair(p) for p in pair(padding))
        return [shape[0] + sum(rows), shape[1] + sum(cols), shape[2]], []
    if cls == "Concatenate":
        axis = config.get("axis", -1)
        axis = axis - 1 if axis > 0 else len(shape) + axis  # Keras counts the batch axis
        out = list(shape)
        out[axis] = sum(s[axis] for s in inputs)
        return out, []
    if cls in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"):
        rank = max(len(s) for s in inputs)
        padded = [[1] * (rank - len(s)) + list(s) for s in inputs]
        return [max(d) for d in zip(*padded)], []
    return shape, []  # Activation, Dropout, LeakyReLU, the Random* layers


def build_model(model_config):
    """[(name, class, [weights])] in model.layers order, or fail as model_from_config would."""
    cls = model_config.get("class_name")
    config = model_config.get("config", {})
    if cls not in ("Sequential", "Functional", "Model"):
        fail(f"model class {cls} is not a Keras model class")
    layers = config.get("layers", [])
    for layer in layers:
        check_layer_config(layer)
    built = []
    shapes = {}
    if cls == "Sequential":
        shape = None
        for i, layer in enumerate(layers):
            lcls, lconfig = layer["class_name"], layer["config"]
            if i == 0 and lcls != "InputLayer":
                if "batch_input_shape" not in lconfig:
                    fail("a Sequential model without an input shape is not built on loading")
                shape = list(lconfig["batch_input_shape"][1:])
            if lcls == "InputLayer":
                shape = list(lconfig["batch_input_shape"][1:])
                continue
            shape, weights = output_and_weights(lcls, lconfig, [shape])
            built.append((lconfig["name"], lcls, lconfig, weights))
        return built
    for layer in layers:
        name = layer.get("name", layer["config"].get("name"))
        inputs = []
        for node in layer.get("inbound_nodes", []):
            for inbound in node:
                source = inbound[0]
                if source not in shapes:
                    fail(f"layer {name}: its input {source} is not an earlier layer")
                inputs.append(shapes[source])
        if layer["class_name"] == "InputLayer":
            shapes[name] = list(layer["config"]["batch_input_shape"][1:])
        else:
            if not inputs:
                fail(f"layer {name}: no inbound nodes")
            shapes[name], weights = output_and_weights(layer["class_name"], layer["config"],
                                                       inputs)
            built.append((name, layer["class_name"], layer["config"], weights))
    for key in ("input_layers", "output_layers"):
        for ref in config.get(key, []):
            if ref[0] not in shapes:
                fail(f"{key}: {ref[0]} is not a layer")
    return built


# 2. load_weights_from_hdf5_group ----------------------------------------------------------
def load_weights(f, built):
    group = f["model_weights"]
    version = text(group.attrs.get("keras_version", f.attrs.get("keras_version", "1")))
    if not version.startswith("2."):
        fail(f"keras_version {version}: Keras 2.11 would convert or refuse the weights")
    saved = [text(n) for n in group.attrs["layer_names"]]
    saved = [n for n in saved if len(group[n].attrs.get("weight_names", [])) > 0]
    ours = [b for b in built if b[3]]
    if len(saved) != len(ours):
        fail(f"layer count mismatch: the file has {len(saved)} layers with weights, "
             f"the model {len(ours)}")
    trainable = []
    for layer_name, (name, cls, config, weights) in zip(saved, ours):
        names = [text(n) for n in group[layer_name].attrs["weight_names"]]
        if len(names) != len(weights):
            fail(f"layer {name}: {len(names)} weights in the file, the layer has {len(weights)}")
        for saved_name, (weight, shape, is_trainable) in zip(names, weights):
            data = group[layer_name][saved_name]
            if list(data.shape) != shape:
                fail(f"layer {name}: {saved_name} has shape {list(data.shape)}, "
                     f"the layer's {weight} {shape}")
            if is_trainable and config.get("trainable", True):
                trainable.append((f"{name}/{weight}:0", shape))
    return trainable


# 3. compile ---------------------------------------------------------------------------------
def deserialize_optimizer(optimizer_config):
    config = dict(optimizer_config.get("config", {}))
    legacy = config.get("is_legacy_optimizer", True) if config else False
    name = optimizer_config.get("class_name", "")
    if legacy:
        fail(f"optimizer {name}: no is_legacy_optimizer: false, so Keras builds its legacy "
             "class, whose saved slots are [iteration, every m, every v] per kind")
    if name.lower() in NEW_BY_LOWER_NAME:
        cls = NEW_BY_LOWER_NAME[name.lower()]
    elif name.startswith("Custom>") and name[7:] in OPTIMIZERS:
        cls = name[7:]
    else:
        fail(f"optimizer class {name} is unknown to optimizers.deserialize")
    extra = set(config) - OPTIMIZERS[cls] - OPTIMIZER_BASE
    if extra:
        fail(f"optimizer {cls}: TypeError, {sorted(extra)} not valid arguments")
    lr = config.get("learning_rate")
    if isinstance(lr, dict):
        schedule = lr.get("class_name")
        if schedule not in SCHEDULES:
            fail(f"learning rate schedule {schedule} is unknown to Keras")
        extra = set(lr.get("config", {})) - SCHEDULES[schedule]
        if extra:
            fail(f"schedule {schedule}: TypeError, unexpected {sorted(extra)}")
    return cls, config


def check_metric(metric):
    if isinstance(metric, str):
        if metric not in METRIC_FUNCTIONS:
            fail(f"metric {metric}: Unknown metric function")
        return
    cls = metric.get("class_name")
    config = metric.get("config", {})
    if cls not in METRIC_CLASSES:
        fail(f"metric {json.dumps(metric)}: {cls} is not a metric class Keras deserializes "
             "(a function name there is called with the config as arguments)")
    if cls == "MeanMetricWrapper":
        if config.get("fn") not in METRIC_FUNCTIONS:
            fail(f"metric {config.get('name')}: MeanMetricWrapper of unknown fn {config.get('fn')}")
        return
    extra = set(config) - METRIC_CLASSES[cls]
    if extra:
        fail(f"metric {cls}: TypeError, unexpected {sorted(extra)}")


def compile_model(f):
    training_config = json.loads(text(f.attrs["training_config"]))
    cls, config = deserialize_optimizer(training_config["optimizer_config"])
    loss = training_config.get("loss")
    if isinstance(loss, str) and loss not in LOSS_NAMES:
        fail(f"loss {loss}: Unknown loss function")
    for output in training_config.get("metrics") or []:
        for metric in output if isinstance(output, list) else [output]:
            check_metric(metric)
    if "loss_weights" not in training_config:
        fail("training_config has no loss_weights (KeyError)")
    return cls, config


# 4. optimizer.build + set_weights -----------------------------------------------------------
def optimizer_variables(cls, config, trainable):
    """[(slot, variable name, shape)] in the order build() creates them, after the iteration."""
    per_variable = lambda slots: [(s, n, sh) for n, sh in trainable for s in slots]
    every = lambda slot: [(slot, n, sh) for n, sh in trainable]
    if cls in ("Adam", "AdamW"):
        return per_variable(["m", "v"]) + (every("vhat") if config.get("amsgrad") else [])
    if cls == "Nadam":
        return per_variable(["m", "v"])  # its u_product is not an optimizer variable
    if cls == "Adagrad":
        return every("accumulator")
    if cls == "RMSprop":
        return (every("velocity") + (every("momentum") if config.get("momentum", 0) > 0 else [])
                + (every("average_gradient") if config.get("centered") else []))
    if cls == "SGD":
        return every("m")
    fail(f"no build order known for {cls}")


def restore_optimizer(f, cls, config, trainable):
    if "optimizer_weights" not in f:
        fail("no optimizer_weights: the optimizer starts fresh")
    group = f["optimizer_weights"]
    names = [text(n) for n in group.attrs["weight_names"]]
    expected = optimizer_variables(cls, config, trainable)
    if len(names) != 1 + len(expected):
        fail(f"{len(names)} optimizer weights saved, the optimizer has {1 + len(expected)}: "
             "set_weights would leave the rest fresh")
    if group[names[0]].shape != () or not names[0].startswith("iteration"):
        fail(f"the first optimizer weight is {names[0]}, not the iteration count")
    prefix = config.get("name", cls)
    for saved, (slot, variable, shape) in zip(names[1:], expected):
        if list(group[saved].shape) != shape:
            fail(f"Optimizer variable {prefix}/{slot}/{variable} has shape {shape} not "
                 f"compatible with provided weight shape {list(group[saved].shape)} ({saved})")
        if saved != f"{prefix}/{slot}/{variable}":
            fail(f"{saved} would be assigned to {prefix}/{slot}/{variable}")
    return len(names)


def main(path):
    with h5py.File(path, "r") as f:
        backend = text(f.attrs.get("backend", "tensorflow"))
        if backend != "tensorflow":
            fail(f"backend {backend}")
        if "model_config" not in f.attrs:
            fail("No model config found in the file")
        built = build_model(json.loads(text(f.attrs["model_config"])))
        trainable = load_weights(f, built)
        if "training_config" not in f.attrs:
            fail("no training_config: the model is not compiled")
        cls, config = compile_model(f)
        restored = restore_optimizer(f, cls, config, trainable)
        print(f"ok: {len(built)} layers, {len(trainable)} trainable variables, optimizer {cls} "
              f"with {restored} variables restored")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: keras_load_model.py FILE.h5")
    try:
        main(sys.argv[1])
    except KerasWouldFail as e:
        print(f"keras 2.11 load_model: {e}")
        sys.exit(1)
