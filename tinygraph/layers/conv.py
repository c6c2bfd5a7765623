"""Convolutions: `Conv2D` over images `(n, C, H, W)` and `Conv1D` over sequences `(n, C, L)`, as PyTorch's.

A convolution is a `Dense` layer applied to every patch of its input, with the patches laid out as
the columns of one matrix (`patches.py`): `y = W @ cols + b`. So its backward is Dense's, transposed:
`dW += dy @ cols.T`, `db += dy summed over positions`, and `dx` is `W.T @ dy` added back onto the
pixels each patch came from (col2im). Those four lines are `dense` and `dense_backward` below;
`patches.apply` runs them on the patch matrix, a block of images at a time when it is too large for
the cache (the sums over the columns then come a block at a time).
"""

import math

import numpy as np

from .. import checks
from ..init import initial_values
from ..layer import Layer
from ..parameter import Parameter
from .patches import patches_for


class Convolution(Layer):
    """What `Conv1D` and `Conv2D` share: `y = W ⋆ x + b`, cross-correlation with zero padding, as PyTorch's.

    `x` is `(n_batch, C_in, *size)`, `y` is `(n_batch, C_out, *out)` with
    `out = (size + 2·padding - kernel_size) // stride + 1` on each spatial axis. `W` (`.weight`) is
    `(C_out, C_in, *kernel_size)` (PyTorch's layout), `b` (`.bias`) is `(C_out,)` or None.

    As matrices, with `cols` the `(C_in·prod(kernel), n·prod(out))` patches of `x`:

        forward   y  = W @ cols + b            W seen as (C_out, C_in·prod(kernel))
        backward  dW += dy @ cols.T            dy seen as (C_out, n·prod(out))
                  db += dy.sum(axis=1)
                  dx  = col2im(W.T @ dy)       each patch's gradient added back onto its pixels

    `init` (default `"he_uniform"`) draws the weight as the `(C_in·prod(kernel), C_out)` matrix of the
    Dense layer over patches it is, so fan-in is `C_in·prod(kernel)`; the bias starts at 0.
    """

    dims = None  # the number of spatial axes, set by each subclass
    axes_text = None  # how an error message writes one sample's axes

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True, init="he_uniform",
                 rng=None):
        name = type(self).__name__
        self.in_channels = checks.integer(name, "in_channels", in_channels)
        self.out_channels = checks.integer(name, "out_channels", out_channels)
        self.kernel_size = checks.integers(name, "kernel_size", kernel_size, self.dims)
        self.stride = checks.integers(name, "stride", stride, self.dims)
        self.padding = checks.integers(name, "padding", padding, self.dims, minimum=0)
        fan_in = self.in_channels * math.prod(self.kernel_size)
        matrix = initial_values(init, (fan_in, self.out_channels), rng)  # the Dense over patches' weight
        self.weight = Parameter(np.ascontiguousarray(matrix.T).reshape(self.out_channels, self.in_channels, *self.kernel_size),
                                name="weight")
        self.bias = Parameter(np.zeros(self.out_channels), name="bias") if checks.flag(name, "bias", bias) else None

    def forward(self, x):
        patches = self.patches_of(x)
        y, kept = patches.apply(x, self.dense)  # y = W @ cols + b over the patches of x (patches.py)
        self.save_for_backward(patches, kept)
        return y

    def backward(self, dy):
        patches, kept = self.pop_saved()
        return patches.apply_backward(kept, dy, self.dense_backward)  # dx = col2im(W.T @ dy)

    def dense(self, cols):
        """The Dense layer over patches, on the columns `cols` of some images: `W @ cols + b` `(C_out, columns)`."""
        y = self.weight.value.reshape(self.out_channels, -1) @ cols
        if self.bias is not None:
            y += self.bias.value[:, None]
        return y

    def dense_backward(self, cols, dy):
        """Its backward, `dy` `(C_out, columns)`: adds `dy @ cols.T` and `dy` summed over the columns into the
        gradients, and returns the patches' gradient `W.T @ dy` (None when nobody needs `dx`)."""
        self.weight.grad += (cols @ dy.T).T.reshape(self.weight.value.shape)  # dy @ cols.T, as its transpose:
        # the same sum, which BLAS splits better over threads when the long axis is the shared one
        if self.bias is not None:
            self.bias.grad += dy.sum(axis=1)
        if self.needs_dx:  # False for the model's own input in training: nobody needs that gradient
            return self.weight.value.reshape(self.out_channels, -1).T @ dy

    def patches_of(self, x):
        """The `Patches` of `x`, after checking its rank, its channels and that the kernel fits."""
        if x.ndim != 2 + self.dims:
            raise ValueError(f"{self!r}: expected input of shape {self.axes_text}, got shape {x.shape}")
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"{self!r}: expected {self.in_channels} input channels, got {x.shape[1]} (input shape {x.shape}, "
                f"channels on axis 1 as {self.axes_text})"
            )
        patches = patches_for(x.shape, self.kernel_size, self.stride, self.padding)
        if any(k > s for k, s in zip(self.kernel_size, patches.padded)):
            raise ValueError(
                f"{self!r}: kernel_size {self.kernel_size} is larger than the padded input {patches.padded} "
                f"(input shape {x.shape}, padding {self.padding})"
            )
        return patches

    def extra_repr(self):
        def text(values):
            return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))

        parts = [f"{self.in_channels}→{self.out_channels}", f"kernel_size={text(self.kernel_size)}"]
        parts += [f"{name}={text(value)}" for name, value, default in (("stride", self.stride, 1), ("padding", self.padding, 0))
                  if value != (default,) * self.dims]
        return ", ".join(parts) + ("" if self.bias is not None else ", bias=False")


class Conv2D(Convolution):
    """2-D convolution over images `(n_batch, C_in, H, W)`, as `torch.nn.Conv2d` (see `Convolution`).

    `kernel_size`, `stride` and `padding` are each an int or a pair `(along H, along W)`.

    >>> conv = Conv2D(1, 4, kernel_size=3, padding=1, rng=0)
    >>> conv.weight.value.shape, conv(np.zeros((2, 1, 8, 8))).shape
    ((4, 1, 3, 3), (2, 4, 8, 8))
    """

    dims = 2
    axes_text = "(n_batch, C_in, H, W)"


class Conv1D(Convolution):
    """1-D convolution over sequences `(n_batch, C_in, L)`, as `torch.nn.Conv1d` (see `Convolution`).

    >>> Conv1D(8, 16, kernel_size=3, rng=0)(np.zeros((2, 8, 10))).shape
    (2, 16, 8)
    """

    dims = 1
    axes_text = "(n_batch, C_in, L)"
