"""Normalisation: `BatchNorm` (each channel over the batch) and `LayerNorm` (each sample over its last axes).

Both compute `x_hat = (x - mean) / sqrt(var + eps)` over some axes and then `y = gamma * x_hat + beta`.
Since the mean and the variance depend on every `x` they were taken over, the input gradient has
three terms (`normalize_backward`): the direct path through `x`, the path through the mean and the
path through the variance.
"""

import functools
import math

import numpy as np

from .. import checks
from ..layer import Layer
from ..parameter import Parameter


@functools.lru_cache(maxsize=64)
def ones(n, dtype):
    """A read-only vector of `n` ones: `sum_over`'s, made once per size."""
    vector = np.ones(n, dtype)
    vector.flags.writeable = False
    return vector


def sum_over(a, axes):
    """`a.sum(axis=axes, keepdims=True)`; over every axis but 1 (BatchNorm's) of `(n, C, ...)`, as two
    matrix-vector products with ones: NumPy's sum over axes that are not contiguous loops over each
    short run, 3 to 7 times slower on a small CNN's activations."""
    if a.ndim > 2 and axes == (0, *range(2, a.ndim)):
        n, c = a.shape[:2]
        sums = (ones(n, a.dtype) @ a.reshape(n, -1)).reshape(c, -1) @ ones(a.size // (n * c), a.dtype)
        return sums.reshape(1, c, *(1,) * (a.ndim - 2))
    return a.sum(axis=axes, keepdims=True)


def normalize(x, axes, eps):
    """`x_hat = (x - mean) / sqrt(var + eps)` over `axes` (biased variance); returns
    `(x_hat, inv_std, mean, var)`, the statistics kept with their axes (`keepdims`)."""
    m = math.prod(x.shape[axis] for axis in axes)
    mean = sum_over(x, axes) / m
    centered = x - mean
    var = sum_over(centered * centered, axes) / m
    inv_std = 1 / np.sqrt(var + eps)
    return centered * inv_std, inv_std, mean, var


def normalize_backward(dx_hat, x_hat, inv_std, axes):
    """The input gradient of `normalize`, from `dx_hat = dL/dx_hat`, with `m` values per mean over `axes`:

        dx = inv_std / m * (m * dx_hat - sum(dx_hat) - x_hat * sum(dx_hat * x_hat))

    The first term is the direct path; the second is the path through the mean (every `x` moves it
    by `1/m`); the third, the path through the variance (`d var / d x = 2 (x - mean) / m`).
    """
    m = math.prod(dx_hat.shape[axis] for axis in axes)
    return (inv_std / m) * (
        m * dx_hat - sum_over(dx_hat, axes) - x_hat * sum_over(dx_hat * x_hat, axes)
    )


class BatchNorm(Layer):
    """Batch normalisation of the channels of `x` `(n_batch, C)` or `(n_batch, C, ...)`, as PyTorch's
    `BatchNorm1d`/`BatchNorm2d`: each channel normalised over every axis but 1, then `y = gamma * x_hat + beta`.

    In training the statistics are the batch's (biased variance), and the buffers `running_mean`
    (starting at 0) and `running_var` (at 1) move towards them as PyTorch's do:
    `running = (1 - momentum) * running + momentum * batch statistic`, with the unbiased variance
    (`· m / (m - 1)`, `m` values per channel). In eval mode the running statistics normalise instead,
    and then `x_hat` is a fixed affine map of `x`: `dx = dy * gamma * inv_std`.

    `gamma` (`.weight`) starts at ones and `beta` (`.bias`) at zeros, both `(C,)`.

    >>> bn = BatchNorm(2)
    >>> y = bn(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> y.round(4), bn.running_mean, bn.running_var
    (array([[-1., -1.],
           [ 1.,  1.]]), array([0.2, 2. ]), array([ 1.1, 20.9]))
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1):
        self.num_features = checks.integer("BatchNorm", "num_features", num_features)
        self.eps = checks.number("BatchNorm", "eps", eps, low=0, low_open=True)
        self.momentum = checks.number("BatchNorm", "momentum", momentum, low=0, high=1, high_open=False)
        self.weight = Parameter(np.ones(self.num_features), name="weight")
        self.bias = Parameter(np.zeros(self.num_features), name="bias")
        self.register_buffer("running_mean", np.zeros(self.num_features))
        self.register_buffer("running_var", np.ones(self.num_features))

    def forward(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_features:
            raise ValueError(
                f"{self!r}: expected input of shape (n_batch, {self.num_features}) or (n_batch, {self.num_features}, ...), "
                f"channels on axis 1, got shape {x.shape}"
            )
        axes = (0, *range(2, x.ndim))  # every axis but the channels'
        shape = (1, -1) + (1,) * (x.ndim - 2)  # a (C,) vector broadcast along the channels
        if self.training:
            m = x.size // self.num_features  # values per channel
            if m < 2:
                raise ValueError(
                    f"{self!r}: training needs more than one value per channel to take a variance, got input of "
                    f"shape {x.shape} (use a larger batch, or eval mode)"
                )
            x_hat, inv_std, mean, var = normalize(x, axes, self.eps)
            momentum = self.momentum
            self.running_mean = (1 - momentum) * self.running_mean + momentum * mean.reshape(-1)
            self.running_var = (1 - momentum) * self.running_var + momentum * var.reshape(-1) * (m / (m - 1))
        else:
            inv_std = (1 / np.sqrt(self.running_var + self.eps)).reshape(shape)
            x_hat = (x - self.running_mean.reshape(shape)) * inv_std
        self.save_for_backward(x_hat, inv_std, axes, self.training)
        return x_hat * self.weight.value.reshape(shape) + self.bias.value.reshape(shape)

    def backward(self, dy):
        x_hat, inv_std, axes, training = self.pop_saved()
        self.weight.grad += sum_over(dy * x_hat, axes).reshape(-1)
        self.bias.grad += sum_over(dy, axes).reshape(-1)
        dx_hat = dy * self.weight.value.reshape(inv_std.shape)
        if training:
            return normalize_backward(dx_hat, x_hat, inv_std, axes)
        return dx_hat * inv_std

    def extra_repr(self):
        settings = "" if self.eps == 1e-5 else f", eps={self.eps:g}"
        return f"{self.num_features}{settings}" + ("" if self.momentum == 0.1 else f", momentum={self.momentum:g}")


class LayerNorm(Layer):
    """Layer normalisation over the last axes, as `torch.nn.LayerNorm`: each sample's last
    `len(normalized_shape)` axes normalised together, `y = gamma * x_hat + beta`, the same in training
    and eval. `normalized_shape` is an int (the last axis) or a tuple; `gamma` (`.weight`, ones) and
    `beta` (`.bias`, zeros) have that shape. Backward: `normalize_backward` over those axes, and the
    parameter gradients summed over the leading axes.

    >>> LayerNorm(3)(np.array([[1.0, 2.0, 3.0]]))
    array([[-1.22473...,  0.        ,  1.22473...]])
    """

    def __init__(self, normalized_shape, eps=1e-5):
        shape = normalized_shape if isinstance(normalized_shape, (tuple, list)) else (normalized_shape,)
        self.normalized_shape = checks.integers("LayerNorm", "normalized_shape", tuple(shape), len(shape))
        if not self.normalized_shape:
            raise ValueError("LayerNorm: normalized_shape must name at least one axis, got ()")
        self.eps = checks.number("LayerNorm", "eps", eps, low=0, low_open=True)
        self.weight = Parameter(np.ones(self.normalized_shape), name="weight")
        self.bias = Parameter(np.zeros(self.normalized_shape), name="bias")

    def forward(self, x):
        k = len(self.normalized_shape)
        if x.ndim < k + 1 or x.shape[-k:] != self.normalized_shape:
            raise ValueError(
                f"{self!r}: the input's last axes must be {self.normalized_shape} (after the batch axis), got shape {x.shape}"
            )
        axes = tuple(range(x.ndim - k, x.ndim))
        x_hat, inv_std, _, _ = normalize(x, axes, self.eps)
        self.save_for_backward(x_hat, inv_std, axes)
        return x_hat * self.weight.value + self.bias.value

    def backward(self, dy):
        x_hat, inv_std, axes = self.pop_saved()
        leading = tuple(range(dy.ndim - len(axes)))  # every sample and position: summed
        self.weight.grad += (dy * x_hat).sum(axis=leading)
        self.bias.grad += dy.sum(axis=leading)
        return normalize_backward(dy * self.weight.value, x_hat, inv_std, axes)

    def extra_repr(self):
        shape = self.normalized_shape[0] if len(self.normalized_shape) == 1 else self.normalized_shape
        return f"{shape}" + ("" if self.eps == 1e-5 else f", eps={self.eps:g}")

