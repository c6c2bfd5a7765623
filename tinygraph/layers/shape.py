"""Layers that only move values around: `Identity`, `Flatten`, `Reshape`, `Permute`.

Each backward undoes what its forward did to the shape: the gradient flows back unchanged in value.
"""

import math

import numpy as np

from .. import checks
from ..layer import Layer


class Identity(Layer):
    """`y = x`; backward `dx = dy`. A placeholder, e.g. the skip branch of a `Parallel`."""

    def forward(self, x):
        return x

    def backward(self, dy):
        return dy


class Flatten(Layer):
    """`(n_batch, ...) -> (n_batch, prod(...))`, as `torch.nn.Flatten`; backward reshapes `dy` back.

    >>> Flatten()(np.zeros((2, 3, 4, 4))).shape
    (2, 48)
    """

    def forward(self, x):
        self.save_for_backward(x.shape)
        return x.reshape(len(x), -1)

    def backward(self, dy):
        return dy.reshape(self.pop_saved())


class Reshape(Layer):
    """Give each sample the new shape `shape` (the batch axis stays): `Reshape(1, 8, 8)` makes `(n, 64)`
    into `(n, 1, 8, 8)`, as Keras' `Reshape`. One size may be -1: whatever the sample's size leaves.

    >>> Reshape(4, -1)(np.zeros((2, 8))).shape
    (2, 4, 2)
    """

    def __init__(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        if not shape:
            raise ValueError("Reshape: give the new shape of one sample, e.g. Reshape(1, 8, 8)")
        for size in shape:
            if size != -1:
                checks.integer("Reshape", "each size", size)
        if list(shape).count(-1) > 1:
            raise ValueError(f"Reshape: at most one size may be -1, got {shape}")
        self.shape = tuple(int(size) for size in shape)

    def forward(self, x):
        known = math.prod(size for size in self.shape if size != -1)
        sample = math.prod(x.shape[1:])
        if (sample != known) if -1 not in self.shape else (sample % known != 0 or sample == 0):
            raise ValueError(f"{self!r}: cannot reshape a sample of shape {x.shape[1:]} ({sample} values) to {self.shape}")
        self.save_for_backward(x.shape)
        return x.reshape(len(x), *(sample // known if size == -1 else size for size in self.shape))

    def backward(self, dy):
        return dy.reshape(self.pop_saved())

    def extra_repr(self):
        return ", ".join(map(str, self.shape))


class Permute(Layer):
    """Reorder each sample's axes, as Keras' `Permute`: axes are numbered from 1 (0 is the batch, which
    stays). `Permute(2, 1)` turns an embedded sequence `(n, L, dim)` into channels first `(n, dim, L)`,
    what `Conv1D` takes (PyTorch's `x.transpose(1, 2)`). Backward applies the inverse permutation.

    >>> Permute(2, 1)(np.zeros((5, 10, 3))).shape
    (5, 3, 10)
    """

    def __init__(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = tuple(checks.integer("Permute", "each axis", axis) for axis in axes)
        if sorted(axes) != list(range(1, len(axes) + 1)):
            raise ValueError(f"Permute: axes must be 1, 2, ..., {len(axes)} in some order, got {axes}")
        self.axes = axes

    def forward(self, x):
        if x.ndim != len(self.axes) + 1:
            raise ValueError(f"{self!r}: expected samples of {len(self.axes)} axes, got input of shape {x.shape}")
        return np.ascontiguousarray(x.transpose(0, *self.axes))

    def backward(self, dy):
        return np.ascontiguousarray(dy.transpose(0, *np.argsort(self.axes) + 1))

    def extra_repr(self):
        return ", ".join(map(str, self.axes))
