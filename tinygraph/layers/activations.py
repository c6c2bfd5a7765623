"""Activations: `Sigmoid`, `Tanh`, `ReLU`, `LeakyReLU` elementwise on any shape, and `Softmax` along an axis.

Each keeps what its derivative needs: Sigmoid and Tanh their output, ReLU and LeakyReLU the sign of
their input, Softmax its output.
"""

import numpy as np

from .. import checks
from ..layer import Layer


class Sigmoid(Layer):
    """`y = 1 / (1 + exp(-x))`; backward `dx = dy * y * (1 - y)`.

    `x` is capped below at `-LIMIT` (709 in float64, 88 in float32) so that `exp(-x)` cannot overflow;
    below that cap `y` is already smaller than the smallest normal number. Elsewhere this is exactly
    the article's formula, so its network is reproduced to rounding.
    """

    LIMIT = {np.dtype(np.float64): 709.0, np.dtype(np.float32): 88.0}

    def forward(self, x):
        y = 1 / (1 + np.exp(-np.maximum(x, -self.LIMIT[x.dtype])))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y = self.pop_saved()
        return dy * y * (1 - y)


class Tanh(Layer):
    """`y = tanh(x)`; backward `dx = dy * (1 - y**2)`."""

    def forward(self, x):
        y = np.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y = self.pop_saved()
        return dy * (1 - y * y)


class ReLU(Layer):
    """`y = max(x, 0)`; backward `dx = dy * (x > 0)` (the gradient at exactly 0 is 0, as in PyTorch)."""

    def forward(self, x):
        positive = x > 0
        self.save_for_backward(positive)
        return np.maximum(x, 0)

    def backward(self, dy):
        positive = self.pop_saved()
        return dy * positive


class LeakyReLU(Layer):
    """`y = x` where `x > 0`, else `alpha * x`; backward `dx = dy * (1 where x > 0, else alpha)`."""

    def __init__(self, alpha=0.01):
        self.alpha = checks.number("LeakyReLU", "alpha", alpha)

    def forward(self, x):
        slope = np.where(x > 0, 1, self.alpha).astype(x.dtype)
        self.save_for_backward(slope)
        return x * slope

    def backward(self, dy):
        slope = self.pop_saved()
        return dy * slope

    def extra_repr(self):
        return f"alpha={self.alpha:g}"


class Softmax(Layer):
    """`y = exp(x) / sum(exp(x))` along `axis` (the last by default), computed as `exp(x - max)`.

    backward, the Jacobian-vector product: `dx = y * (dy - sum(dy * y))`, the sum along `axis`.
    (For classification, `SoftmaxCrossEntropy` on logits is the stable choice; this layer is for
    networks that need probabilities inside.)
    """

    def __init__(self, axis=-1):
        self.axis = checks.integer("Softmax", "axis", axis, minimum=None)

    def forward(self, x):
        if not -x.ndim < self.axis < x.ndim or self.axis % x.ndim == 0:
            raise ValueError(f"{self!r}: axis {self.axis} is not a feature axis of an input of shape {x.shape}")
        e = np.exp(x - x.max(axis=self.axis, keepdims=True))
        y = e / e.sum(axis=self.axis, keepdims=True)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y = self.pop_saved()
        return y * (dy - (dy * y).sum(axis=self.axis, keepdims=True))

    def extra_repr(self):
        return "" if self.axis == -1 else f"axis={self.axis}"
