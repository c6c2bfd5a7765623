"""The built-in layers, one file per kind: each a `forward` and a `backward`, written as the math."""

from .activations import ELU, GELU, LeakyReLU, ReLU, SiLU, Sigmoid, Softmax, Softplus, Tanh
from .conv import Conv1D, Conv2D
from .dense import Dense
from .dropout import Dropout
from .embedding import Embedding
from .merge import Add, Concat, Multiply
from .norm import BatchNorm, LayerNorm
from .pooling import AvgPool1D, AvgPool2D, MaxPool1D, MaxPool2D
from .shape import Flatten, Identity, Permute, Reshape

__all__ = [
    "AvgPool1D", "AvgPool2D", "BatchNorm", "Conv1D", "Conv2D", "Dense", "Dropout", "ELU", "Embedding", "Flatten", "GELU",
    "Identity", "LayerNorm", "LeakyReLU", "MaxPool1D", "MaxPool2D", "Permute", "ReLU", "Reshape", "SiLU", "Sigmoid",
    "Softmax", "Softplus", "Tanh",
]
__all__ += ["Add", "Concat", "Multiply"]  # merge layers (graphs)
