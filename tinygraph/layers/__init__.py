"""The built-in layers, one file per kind: each a `forward` and a `backward`, written as the math."""

from .activations import LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .dense import Dense
from .dropout import Dropout
from .merge import Add, Concat, Multiply
from .shape import Identity

__all__ = ["Dense", "Dropout", "Identity", "LeakyReLU", "ReLU", "Sigmoid", "Softmax", "Tanh"]
__all__ += ["Add", "Concat", "Multiply"]  # merge layers (graphs)
