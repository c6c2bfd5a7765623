"""`Dense`: the fully connected layer, `y = x @ W + b`."""

import numpy as np

from .. import checks
from ..init import initial_values
from ..layer import Layer
from ..parameter import Parameter


class Dense(Layer):
    """Fully connected layer on the last axis: `y = x @ W + b` (as `torch.nn.Linear`).

    `x` is `(n_batch, ..., n_in)` and `y` is `(n_batch, ..., n_out)`; every leading axis is a batch
    axis. `W` (`.weight`) is `(n_in, n_out)`, `b` (`.bias`) is `(n_out,)` or None with `bias=False`.

    backward: `dW += x.T @ dy`, `db += dy.sum(axis=0)`, `dx = dy @ W.T`, with `x` and `dy` seen as
    matrices of one row per position of their leading axes (`rows`).

    `init` names an initialiser from `tinygraph.init` (`"glorot_uniform"`, `"he_normal"`,
    `"he_uniform"`, `"uniform"`, `"zeros"`) or is a callable `init(shape, rng)`; the bias starts at 0.
    `rng` is an int seed or a `np.random.Generator` (None: fresh entropy).

    >>> layer = Dense(3, 2, init="zeros")
    >>> layer(np.ones((4, 3))).shape
    (4, 2)
    """

    def __init__(self, in_features, out_features, bias=True, init="glorot_uniform", rng=None):
        self.in_features = checks.integer("Dense", "in_features", in_features)
        self.out_features = checks.integer("Dense", "out_features", out_features)
        self.weight = Parameter(initial_values(init, (self.in_features, self.out_features), rng), name="weight")
        self.bias = Parameter(np.zeros(self.out_features), name="bias") if checks.flag("Dense", "bias", bias) else None

    def forward(self, x):
        if x.shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: expected input of shape (n_batch, ..., {self.in_features}), got {x.shape}")
        self.save_for_backward(x)
        y = x @ self.weight.value
        if self.bias is not None:
            y += self.bias.value
        return y

    def backward(self, dy):
        x = self.pop_saved()
        self.weight.grad += rows(x).T @ rows(dy)
        if self.bias is not None:
            self.bias.grad += rows(dy).sum(axis=0)
        if self.needs_dx:  # False for the model's own input in training: nobody needs that gradient
            return dy @ self.weight.value.T

    def extra_repr(self):
        return f"{self.in_features}→{self.out_features}" + ("" if self.bias is not None else ", bias=False")


def rows(a):
    """`a` as a matrix of one row per position of its leading axes: `(n_batch, ..., n) -> (n_batch·..., n)`.

    A sample's every position is one more row of the batch: this is how `Dense` (and the convolution,
    a `Dense` over patches) sums its weight gradient over them.
    """
    return a if a.ndim == 2 else a.reshape(-1, a.shape[-1])
