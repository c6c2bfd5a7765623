"""How the image, sequence and norm layers are described in a model file (`io.py` reads and writes them).

Each entry of `IMAGE_LAYERS` is as in `io.LAYERS`: `type name -> (class, {config key: (attribute getter,
check)}, layer from (config, children))`. Sizes given per spatial axis are lists in the file. Also here:
the checks of configuration values that every entry uses.
"""

import math

from .layers.activations import ELU, GELU, SiLU, Softplus
from .layers.conv import Conv1D, Conv2D
from .layers.embedding import Embedding
from .layers.norm import BatchNorm, LayerNorm
from .layers.pooling import AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D
from .layers.shape import Flatten, Permute, Reshape


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 2**31


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _probability(value):
    return _number(value) and 0 <= value < 1


def _boolean(value):
    return isinstance(value, bool)


def _axis(value):
    return isinstance(value, int) and not isinstance(value, bool) and -64 <= value < 64


def _sizes(value, minimum=1):
    return isinstance(value, list) and 0 < len(value) <= 8 and all(
        isinstance(v, int) and not isinstance(v, bool) and minimum <= v <= 2**31 for v in value)


def _padding(value):
    return _sizes(value, minimum=0)


def _shape(value):  # Reshape's: sizes, one of which may be -1
    return isinstance(value, list) and _sizes([1 if v == -1 else v for v in value])


def _axes(value):
    return _sizes(value) and sorted(value) == list(range(1, len(value) + 1))


def _positive(value):
    return _number(value) and value > 0


def _momentum(value):
    return _number(value) and 0 <= value <= 1


def _conv(cls):
    config = {name: (lambda layer, name=name: getattr(layer, name), _count) for name in ("in_channels", "out_channels")}
    config.update({name: (lambda layer, name=name: list(getattr(layer, name)), check)
                   for name, check in (("kernel_size", _sizes), ("stride", _sizes), ("padding", _padding))})
    config["bias"] = (lambda layer: layer.bias is not None, _boolean)
    return (cls, config, lambda c, children: cls(c["in_channels"], c["out_channels"], c["kernel_size"], c["stride"],
                                                 c["padding"], c["bias"], init="zeros"))


def _pool(cls):
    config = {name: (lambda layer, name=name: list(getattr(layer, name)), _sizes) for name in ("kernel_size", "stride")}
    return cls, config, lambda c, children: cls(c["kernel_size"], c["stride"])


IMAGE_LAYERS = {
    "Conv2D": _conv(Conv2D),
    "Conv1D": _conv(Conv1D),
    "MaxPool2D": _pool(MaxPool2D),
    "AvgPool2D": _pool(AvgPool2D),
    "MaxPool1D": _pool(MaxPool1D),
    "AvgPool1D": _pool(AvgPool1D),
    "Flatten": (Flatten, {}, lambda c, children: Flatten()),
    "Reshape": (Reshape, {"shape": (lambda layer: list(layer.shape), _shape)}, lambda c, children: Reshape(*c["shape"])),
    "Permute": (Permute, {"axes": (lambda layer: list(layer.axes), _axes)}, lambda c, children: Permute(*c["axes"])),
    "BatchNorm": (
        BatchNorm,
        {"num_features": (lambda layer: layer.num_features, _count), "eps": (lambda layer: layer.eps, _positive),
         "momentum": (lambda layer: layer.momentum, _momentum)},
        lambda c, children: BatchNorm(c["num_features"], c["eps"], c["momentum"]),
    ),
    "LayerNorm": (
        LayerNorm,
        {"normalized_shape": (lambda layer: list(layer.normalized_shape), _sizes), "eps": (lambda layer: layer.eps, _positive)},
        lambda c, children: LayerNorm(tuple(c["normalized_shape"]), c["eps"]),
    ),
    "Embedding": (
        Embedding,
        {"num_embeddings": (lambda layer: layer.num_embeddings, _count), "embedding_dim": (lambda layer: layer.embedding_dim, _count)},
        lambda c, children: Embedding(c["num_embeddings"], c["embedding_dim"], rng=0),
    ),
    "GELU": (GELU, {}, lambda c, children: GELU()),
    "ELU": (ELU, {"alpha": (lambda layer: layer.alpha, _number)}, lambda c, children: ELU(c["alpha"])),
    "SiLU": (SiLU, {}, lambda c, children: SiLU()),
    "Softplus": (
        Softplus,
        {"beta": (lambda layer: layer.beta, _positive), "threshold": (lambda layer: layer.threshold, _number)},
        lambda c, children: Softplus(c["beta"], c["threshold"]),
    ),
}
# How many values a layer's parameters and buffers hold, from its description: a file must hold them all,
# so a hostile header cannot make `load` allocate more than the file's size.
VALUES = {
    "Conv2D": lambda c: c["out_channels"] * (c["in_channels"] * math.prod(c["kernel_size"]) + c["bias"]),
    "Conv1D": lambda c: c["out_channels"] * (c["in_channels"] * math.prod(c["kernel_size"]) + c["bias"]),
    "BatchNorm": lambda c: 4 * c["num_features"],
    "LayerNorm": lambda c: 2 * math.prod(c["normalized_shape"]),
    "Embedding": lambda c: c["num_embeddings"] * c["embedding_dim"],
}
