"""Pooling: `MaxPool2D`, `AvgPool2D` over images `(n, C, H, W)` and `MaxPool1D`, `AvgPool1D` over sequences.

Each channel's windows are the columns of a matrix (`patches.py`), so a pooling is a reduction down
each column, and its backward puts each output's gradient back where it came from: all of it onto the
window's maximum (max), an equal share onto every element of the window (average). The patches'
col2im adds those back onto the pixels, summing where windows overlap. (The max of windows that tile
an image, the usual 2x2 pooling, is taken one axis at a time instead: `Patches.window_max`.)
"""

import numpy as np

from .. import checks
from ..layer import Layer
from .patches import patches_for


class Pooling(Layer):
    """What the poolings share: windows of `kernel_size` moving by `stride` (default: `kernel_size`, so
    the windows tile the input), no padding, over each channel of `x` `(n_batch, C, *size)` alone."""

    dims = None  # the number of spatial axes, set by each subclass
    axes_text = None

    def __init__(self, kernel_size, stride=None):
        name = type(self).__name__
        self.kernel_size = checks.integers(name, "kernel_size", kernel_size, self.dims)
        self.stride = self.kernel_size if stride is None else checks.integers(name, "stride", stride, self.dims)

    def patches_of(self, x):
        """The `Patches` of `x`, after checking its rank and that the kernel fits."""
        if x.ndim != 2 + self.dims:
            raise ValueError(f"{self!r}: expected input of shape {self.axes_text}, got shape {x.shape}")
        if any(k > s for k, s in zip(self.kernel_size, x.shape[2:])):
            raise ValueError(f"{self!r}: kernel_size {self.kernel_size} is larger than the input {x.shape[2:]} (shape {x.shape})")
        return patches_for(x.shape, self.kernel_size, self.stride, (0,) * self.dims)

    def windows_of(self, x):
        """The `Patches` of `x` and its windows as `(C, window size, n·prod(out))`: one column per window."""
        patches = self.patches_of(x)
        return patches, patches.window_columns(x)

    def extra_repr(self):
        def text(values):
            return str(values[0]) if len(set(values)) == 1 else "x".join(map(str, values))

        return f"kernel_size={text(self.kernel_size)}" + ("" if self.stride == self.kernel_size else f", stride={text(self.stride)}")


class MaxPool(Pooling):
    """`y` = the largest value of each window; backward routes all of `dy` to that one element.

    As PyTorch, the first maximum of a window (in row-major order) takes the gradient when several tie.
    """

    def forward(self, x):
        patches = self.patches_of(x)
        y, where = patches.window_max(x)  # where: which element of each window is its (first) maximum
        self.save_for_backward(patches, where)
        return y

    def backward(self, dy):
        patches, where = self.pop_saved()
        return patches.to_max(dy, where)  # all of dy to the max, 0 elsewhere


class AvgPool(Pooling):
    """`y` = the mean of each window; backward gives each element of a window `dy / window size`."""

    def forward(self, x):
        patches, cols = self.windows_of(x)  # (C, k·k, n·ho·wo)
        self.save_for_backward(patches, cols.shape)
        return patches.batch_first(cols.mean(axis=1))

    def backward(self, dy):
        patches, shape = self.pop_saved()
        share = patches.channels_first(dy)[:, None] / shape[1]  # (C, 1, n·ho·wo): an equal share each
        return patches.col2im(np.broadcast_to(share, shape))


class MaxPool2D(MaxPool):
    """Max pooling over images `(n_batch, C, H, W)`, as `torch.nn.MaxPool2d` (no padding).

    >>> MaxPool2D(2)(np.arange(16.0).reshape(1, 1, 4, 4))
    array([[[[ 5.,  7.],
             [13., 15.]]]])
    """

    dims, axes_text = 2, "(n_batch, C, H, W)"


class AvgPool2D(AvgPool):
    """Average pooling over images `(n_batch, C, H, W)`, as `torch.nn.AvgPool2d` (no padding)."""

    dims, axes_text = 2, "(n_batch, C, H, W)"


class MaxPool1D(MaxPool):
    """Max pooling over sequences `(n_batch, C, L)`, as `torch.nn.MaxPool1d` (no padding).

    `MaxPool1D(L)` on a sequence of length `L` is the max over time: `(n, C, L) -> (n, C, 1)`.
    """

    dims, axes_text = 1, "(n_batch, C, L)"


class AvgPool1D(AvgPool):
    """Average pooling over sequences `(n_batch, C, L)`, as `torch.nn.AvgPool1d` (no padding)."""

    dims, axes_text = 1, "(n_batch, C, L)"
