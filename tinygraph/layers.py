"""The built-in layers: `Dense` and the activations `Sigmoid`, `Tanh`, `ReLU`.

Each is a forward and a backward, shapes batch first: `x` and `dx` are `(n_batch, n_in)`, `y` and `dy`
are `(n_batch, n_out)`. Backward adds into parameter gradients and returns `dx`.
"""

import numpy as np

from .core import Layer, Parameter, as_grad, as_input
from .init import initial_values


class Dense(Layer):
    """Fully connected layer: `y = x @ W + b`.

    `W` (`.weight`) is `(n_in, n_out)`, `b` (`.bias`) is `(n_out,)` or `None` with `bias=False`.
    Backward: `dW += x.T @ dy`, `db += dy.sum(axis=0)`, `dx = dy @ W.T`.

    `init` names an initialiser from `tinygraph.init` (`"glorot_uniform"`, `"he_normal"`,
    `"he_uniform"`, `"uniform"`, `"zeros"`) or is a callable `init(shape, rng)`; the bias starts at 0.
    `rng` is an int seed or a `np.random.Generator` (`None`: fresh entropy).

    >>> layer = Dense(3, 2, init="zeros")
    >>> layer(np.ones((4, 3))).shape
    (4, 2)
    """

    def __init__(self, in_features, out_features, bias=True, init="glorot_uniform", rng=None):
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
                raise ValueError(f"Dense: {name} must be a positive int, got {n!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        shape = (self.in_features, self.out_features)
        self.weight = Parameter(initial_values(init, shape, rng), name="weight")
        self.bias = Parameter(np.zeros(self.out_features), name="bias") if bias else None

    def forward(self, x):
        x = as_input(self, x)
        if x.shape[1] != self.in_features:
            raise ValueError(f"{self!r}: expected input of shape (n_batch, {self.in_features}), got {x.shape}")
        self.save_for_backward(x)
        y = x @ self.weight.value
        if self.bias is not None:
            y += self.bias.value
        return y

    def backward(self, dy):
        x = self.pop_saved()
        dy = as_grad(self, dy, (x.shape[0], self.out_features))
        self.weight.grad += x.T @ dy
        if self.bias is not None:
            self.bias.grad += dy.sum(axis=0)
        return dy @ self.weight.value.T

    def extra_repr(self):
        return f"{self.in_features}→{self.out_features}" + ("" if self.bias is not None else ", bias=False")


class Sigmoid(Layer):
    """`y = 1 / (1 + exp(-x))`, computed without overflow; backward `dx = dy * y * (1 - y)`.

    For `x < 0` it uses the equal form `exp(x) / (1 + exp(x))`, so `exp` only ever sees `-|x|`:
    no overflow and no warning at `x = ±1e4`.
    """

    def forward(self, x):
        x = as_input(self, x)
        e = np.exp(-np.abs(x))
        y = np.where(x >= 0, 1.0, e) / (1.0 + e)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y = self.pop_saved()
        dy = as_grad(self, dy, y.shape)
        return dy * y * (1.0 - y)


class Tanh(Layer):
    """`y = tanh(x)`; backward `dx = dy * (1 - y**2)`."""

    def forward(self, x):
        y = np.tanh(as_input(self, x))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y = self.pop_saved()
        dy = as_grad(self, dy, y.shape)
        return dy * (1.0 - y * y)


class ReLU(Layer):
    """`y = max(x, 0)`; backward `dx = dy * (x > 0)` (the gradient at exactly 0 is 0, as in PyTorch)."""

    def forward(self, x):
        x = as_input(self, x)
        mask = x > 0
        self.save_for_backward(mask)
        return np.maximum(x, 0)

    def backward(self, dy):
        mask = self.pop_saved()
        dy = as_grad(self, dy, mask.shape)
        return dy * mask
