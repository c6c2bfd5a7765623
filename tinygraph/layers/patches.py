"""Patches: the sliding windows of a convolution or a pooling as the columns of a matrix (im2col), and back (col2im).

A convolution is a `Dense` layer applied to every patch of its input. Lay each patch out as a column
and the whole convolution is one matrix product; its backward is the transposed products, and the
gradient of the patch matrix is added back onto the pixels each patch came from (col2im):

    x (n, C, H, W) --columns--> cols (C·kh·kw, n·ho·wo) --W @ cols--> (C_out, n·ho·wo) --batch_first--> y (n, C_out, ho, wo)
    dx (n, C, H, W) <--col2im-- dcols (C·kh·kw, n·ho·wo) <--W.T @ dy-- dy (C_out, n·ho·wo) <--channels_first-- dy

Row `(c, i, j)` of `cols` holds the pixel `(i, j)` of every window of channel `c`, which is the order of
`W.reshape(C_out, C·kh·kw)`, PyTorch's weight layout. Columns are ordered `(n, ho, wo)`, so the product
`W @ cols` is channels first, `(C_out, n, ho, wo)`, and one transpose puts the batch back in front.
The same code serves any number of spatial axes (1 for sequences `(n, C, L)`, 2 for images).

Where the speed is:
- `columns` copies each of the `kh·kw` shifted windows of the whole batch in one NumPy assignment,
  and `col2im` adds them back the same way: the Python loop runs `kh·kw` times per call, never per
  pixel, and everything else is the matrix products.
- Windows that tile the input (stride = kernel, no padding, sizes that divide: the usual pooling)
  are one reshape and one transposing copy each way, with nothing to add up.
- The geometry of an input shape is worked out once (`patches_for` keeps it), with the slices of every
  window offset ready, so a call of a small layer costs little Python.
"""

import functools
import math

import numpy as np


@functools.lru_cache(maxsize=256)
def patches_for(x_shape, kernel, stride, padding):
    """The `Patches` of an input of shape `x_shape`; the same object for the same arguments (it never changes)."""
    return Patches(x_shape, kernel, stride, padding)


class Patches:
    """The geometry of the windows of `kernel` (a tuple, one size per spatial axis) sliding by `stride`
    over an input of shape `x_shape = (n, C, *size)` zero-padded by `padding` on both sides of each axis.

    `out` is the output's spatial shape: `(size + 2·padding - kernel) // stride + 1` on each axis.
    """

    def __init__(self, x_shape, kernel, stride, padding):
        self.n, self.channels, *size = x_shape
        self.size, self.kernel, self.stride, self.padding = tuple(size), kernel, stride, padding
        self.padded = tuple(s + 2 * p for s, p in zip(size, padding))
        self.out = tuple((s - k) // st + 1 for s, k, st in zip(self.padded, kernel, stride))
        self.n_rows, self.n_columns = self.channels * math.prod(kernel), self.n * math.prod(self.out)
        everything = (slice(None), slice(None))
        # (index into cols, index into the padded input) for each offset within a window
        self.offsets = [((slice(None), *offset), everything + self.windows(offset)) for offset in np.ndindex(*kernel)]
        self.inside = everything + tuple(slice(p, p + s) for p, s in zip(padding, size))  # the input within its padding
        self.tiles = kernel == stride and not any(padding) and all(m * k == s for m, k, s in zip(self.out, kernel, size))

    def windows(self, offset):
        """The slices that pick, from the padded input, the element at `offset` within every window."""
        return tuple(slice(o, o + st * (m - 1) + 1, st) for o, st, m in zip(offset, self.stride, self.out))

    def columns(self, x):
        """im2col: `x` `(n, C, *size)` -> `(C·prod(kernel), n·prod(out))`, one column per window."""
        if self.tiles:
            return self.tiled(x).reshape(self.n_rows, self.n_columns)
        padded = self.channels_first_padded(x)
        cols = np.empty((self.channels, *self.kernel, self.n, *self.out), dtype=x.dtype)
        for in_cols, in_padded in self.offsets:  # kh·kw copies, each of the whole batch
            cols[in_cols] = padded[in_padded]
        return cols.reshape(self.n_rows, self.n_columns)

    def col2im(self, dcols):
        """The transpose of `columns`: add each column back onto the pixels of its window -> `(n, C, *size)`."""
        dcols = dcols.reshape(self.channels, *self.kernel, self.n, *self.out)
        if self.tiles:
            return self.untiled(dcols)
        dx = np.zeros((self.channels, self.n, *self.padded), dtype=dcols.dtype)
        for in_cols, in_padded in self.offsets:  # windows overlap: a pixel gets the sum over its windows
            dx[in_padded] += dcols[in_cols]
        return np.ascontiguousarray(dx[self.inside].swapaxes(0, 1))  # without the padding, batch first

    def channels_first_padded(self, x):
        """`x` `(n, C, *size)` as `(C, n, *padded)`: channels in front, zeros around (a view if no padding)."""
        if not any(self.padding):
            return x.swapaxes(0, 1)
        padded = np.zeros((self.channels, self.n, *self.padded), dtype=x.dtype)
        padded[self.inside] = x.swapaxes(0, 1)
        return padded

    def tiled(self, x):
        """Windows that tile `x`: `(n, C, ho, kh, wo, kw)` seen as `(C, kh, kw, n, ho, wo)`, copied once."""
        d = len(self.kernel)
        split = x.reshape(self.n, self.channels, *(m for pair in zip(self.out, self.kernel) for m in pair))
        order = (1, *range(3, 2 + 2 * d, 2), 0, *range(2, 2 + 2 * d, 2))  # C, kernel axes, n, output axes
        return np.ascontiguousarray(split.transpose(order))

    def untiled(self, dcols):
        """The inverse of `tiled`: every pixel is in exactly one window, so nothing is added up."""
        d = len(self.kernel)
        order = np.argsort((1, *range(3, 2 + 2 * d, 2), 0, *range(2, 2 + 2 * d, 2)))
        return np.ascontiguousarray(dcols.transpose(order)).reshape(self.n, self.channels, *self.size)

    def batch_first(self, y):
        """`(C_out, n·prod(out))`, as the product `W @ cols` gives it -> `(n, C_out, *out)`."""
        return np.ascontiguousarray(y.reshape(len(y), self.n, *self.out).swapaxes(0, 1))

    def channels_first(self, dy):
        """The inverse of `batch_first`: `(n, C_out, *out)` -> `(C_out, n·prod(out))`."""
        return dy.swapaxes(0, 1).reshape(dy.shape[1], self.n_columns)
