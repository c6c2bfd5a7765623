"""Activations: `Sigmoid`, `Tanh`, `ReLU`, `LeakyReLU`, `GELU`, `ELU`, `SiLU`, `Softplus` elementwise on any
shape, and `Softmax` along an axis.

Each keeps what its derivative needs: Sigmoid and Tanh their output, ReLU and LeakyReLU the sign of
their input, Softmax its output, the smooth ones (GELU, ELU, SiLU, Softplus) their derivative.
None overflows or warns, even at ±1e4.
"""

import math

import numpy as np

from .. import checks
from ..layer import Layer


class Sigmoid(Layer):
    """`y = 1 / (1 + exp(-x))`; backward `dx = dy * y * (1 - y)`.

    `x` is capped below at `-LIMIT` (709 in float64, 88 in float32) so that `exp(-x)` cannot overflow;
    below that cap `y` is already smaller than the smallest normal number. Elsewhere this is exactly
    the article's formula, so its network is reproduced to rounding.
    """

    def forward(self, x):
        y = sigmoid(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y = self.pop_saved()
        return dy * y * (1 - y)


LIMIT = {np.dtype(np.float64): 709.0, np.dtype(np.float32): 88.0}  # exp(LIMIT) is still finite


def sigmoid(x):
    """`1 / (1 + exp(-x))`, with `x` capped below at `-LIMIT` so that `exp(-x)` cannot overflow.

    Computed in place in one new array: on a small batch each step of a NumPy expression costs more
    in allocation than in arithmetic."""
    y = np.negative(x)
    np.minimum(y, LIMIT[y.dtype], out=y)
    np.exp(y, out=y)
    y += 1
    return np.reciprocal(y, out=y)


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


SQRT_2_OVER_PI = math.sqrt(2 / math.pi)  # a Python float: it keeps float32 arrays float32


class GELU(Layer):
    """The Gaussian error linear unit in its tanh form, as `torch.nn.GELU(approximate="tanh")`:

        y  = x/2 · (1 + t),   t = tanh(u),   u = sqrt(2/pi) · (x + 0.044715 x³)
        dx = dy · (1/2 · (1 + t) + x/2 · (1 - t²) · sqrt(2/pi) · (1 + 3 · 0.044715 x²))

    Beyond |x| = 100, t is ±1 to the last bit, so the cube is taken of x capped there (no overflow).
    """

    def forward(self, x):
        c = np.clip(x, -100, 100)  # equal to x wherever t is not exactly ±1
        t = np.tanh(SQRT_2_OVER_PI * (c + 0.044715 * c**3))
        slope = 0.5 * (1 + t) + 0.5 * c * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * 0.044715 * c * c)
        self.save_for_backward(slope.astype(x.dtype, copy=False))
        return 0.5 * x * (1 + t)

    def backward(self, dy):
        slope = self.pop_saved()
        return dy * slope


class ELU(Layer):
    """`y = x` where `x > 0`, else `alpha · (exp(x) - 1)`, as `torch.nn.ELU`;
    backward `dx = dy` where `x > 0`, else `dy · alpha · exp(x)`."""

    def __init__(self, alpha=1.0):
        self.alpha = checks.number("ELU", "alpha", alpha)

    def forward(self, x):
        e = np.exp(np.minimum(x, 0))  # exp of the negative part only: no overflow
        positive = x > 0
        self.save_for_backward(np.where(positive, 1, self.alpha * e).astype(x.dtype, copy=False))
        return np.where(positive, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def backward(self, dy):
        slope = self.pop_saved()
        return dy * slope

    def extra_repr(self):
        return "" if self.alpha == 1.0 else f"alpha={self.alpha:g}"


class SiLU(Layer):
    """`y = x · sigmoid(x)` (also called swish), as `torch.nn.SiLU`; backward
    `dx = dy · s · (1 + x · (1 - s))` with `s = sigmoid(x)`."""

    def forward(self, x):
        s = sigmoid(x)
        self.save_for_backward(s * (1 + x * (1 - s)))
        return x * s

    def backward(self, dy):
        slope = self.pop_saved()
        return dy * slope


class Softplus(Layer):
    """`y = log(1 + exp(beta · x)) / beta`, a smooth ReLU, as `torch.nn.Softplus`: where `beta · x > threshold`
    it is `x` itself (as PyTorch, to avoid overflow). backward `dx = dy · sigmoid(beta · x)`, and `dy` where
    `beta · x > threshold`."""

    def __init__(self, beta=1.0, threshold=20.0):
        self.beta = checks.number("Softplus", "beta", beta, low=0, low_open=True)
        self.threshold = checks.number("Softplus", "threshold", threshold)

    def forward(self, x):
        bx = self.beta * x
        linear = bx > self.threshold
        self.save_for_backward(np.where(linear, 1, sigmoid(bx)).astype(x.dtype, copy=False))
        softplus = np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))  # log(1 + exp(bx)), never overflowing
        return np.where(linear, x, softplus / self.beta)

    def backward(self, dy):
        slope = self.pop_saved()
        return dy * slope

    def extra_repr(self):
        return ", ".join(f"{name}={value:g}" for name, value, default in
                         (("beta", self.beta, 1.0), ("threshold", self.threshold, 20.0)) if value != default)
