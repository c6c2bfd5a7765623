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
- With stride 1 on images the columns take each output row at the padded width (`Patches.wide`):
  every window offset is then one shift of the flattened padded images, and each copy or addition
  runs over whole rows instead of `wo` values at a time.
- Windows that tile the input (stride = kernel, no padding, sizes that divide: the usual pooling)
  are one reshape and one transposing copy each way, with nothing to add up; their max (`tile_max`)
  needs no copy at all: the max along each window's rows, then down those rows.
- A patch matrix larger than `BLOCK_BYTES` is made, multiplied and added back a block of images at a
  time (`apply`, `apply_backward`), so that it never leaves the cache: for a 3x3 layer of 16 channels
  on 28x28 images it is 9 times the input's bytes, and writing it to memory and reading it back twice
  cost more than the products. Such a layer's backward makes each block's columns again from `x`.
- The geometry of an input shape is worked out once (`patches_for` keeps it), with the slices of every
  window offset ready, so a call of a small layer costs little Python.
"""

import functools
import math

import numpy as np


BLOCK_BYTES = 2**21  # a block's patch matrix: small enough to stay in the cache with its gradient (on a core
# with 1 MB of L2 and 32 MB of L3, blocks of 1 to 4 MB measured alike, 8 MB slower: docs/performance.md)


def copy(a, out):
    """`a` copied into `out`, or into a new contiguous array if `out` is None."""
    if out is None:
        return np.ascontiguousarray(a)
    out[...] = a
    return out


def first_max(elements):
    """The elementwise max of the arrays `elements` and, for each value, the index of the first array
    that holds it (a later one must be larger to take over, so ties go to the first). A NaN is the max
    and always takes over, so the last NaN holds it, as in PyTorch's max pooling; only a max that
    holds a NaN pays for that rule."""
    best, where = elements[0], False  # False == 0: the first, until a later one is larger
    for k, element in enumerate(elements[1:], 1):
        larger = element > best
        best, where = np.maximum(best, element), larger if k == 1 else np.where(larger, k, where)
    if len(elements) == 1:
        return best.copy(), where  # a copy: never a view of the caller's input
    nan = np.isnan(best)  # np.maximum keeps a NaN: the max is NaN where any of its elements is
    if nan.any():
        last_nan = 0
        for k, element in enumerate(elements):
            last_nan = np.where(np.isnan(element), k, last_nan)
        where = np.where(nan, last_nan, where)
    return best, where


@functools.lru_cache(maxsize=256)
def patches_for(x_shape, kernel, stride, padding):
    """The `Patches` of an input of shape `x_shape`; the same object for the same arguments (it never changes)."""
    return Patches(x_shape, kernel, stride, padding)


class Patches:
    """The geometry of the windows of `kernel` (a tuple, one size per spatial axis) sliding by `stride`
    over an input of shape `x_shape = (n, C, *size)` zero-padded by `padding` on both sides of each axis.

    `out` is the output's spatial shape: `(size + 2·padding - kernel) // stride + 1` on each axis.
    `grid` is the shape of the columns' positions in one sample: `out`, except on images with stride 1
    (`wide`), where each output row has the padded width `Wp`: a window's element `(i, j)` is then
    `i·Wp + j` further along the flattened padded image, so each offset is copied (and added back) as
    one long run per image. The `Wp - wo` extra positions of a row see the next row; their outputs are
    dropped (`batch_first`) and their gradients are zero (`channels_first`), so they change nothing.
    """

    def __init__(self, x_shape, kernel, stride, padding):
        self.x_shape, self.cut = x_shape, {}  # cut: the blocks of the batch for each size of a value
        self.n, self.channels, *size = x_shape
        self.size, self.kernel, self.stride, self.padding = tuple(size), kernel, stride, padding
        self.padded = tuple(s + 2 * p for s, p in zip(size, padding))
        self.out = tuple((s - k) // st + 1 for s, k, st in zip(self.padded, kernel, stride))
        self.tiles = kernel == stride and not any(padding) and all(m * k == s for m, k, s in zip(self.out, kernel, size))
        self.wide = len(kernel) == 2 and stride == (1, 1) and not self.tiles
        self.grid = (self.out[0], self.padded[1]) if self.wide else self.out
        self.n_rows, self.n_columns = self.channels * math.prod(kernel), self.n * math.prod(self.grid)
        everything = (slice(None), slice(None))
        self.inside = everything + tuple(slice(p, p + s) for p, s in zip(padding, size))  # the input within its padding
        # (index into cols, index into the padded input) for each offset within a window
        if self.wide:  # the padded images flattened, with one more row of zeros for the last row's extra positions
            run = math.prod(self.grid)
            self.offsets = [((slice(None), *offset), everything + (slice(o, o + run),))
                            for offset in np.ndindex(*kernel) for o in [offset[0] * self.padded[1] + offset[1]]]
        else:
            self.offsets = [((slice(None), *offset), everything + self.windows(offset)) for offset in np.ndindex(*kernel)]

    def windows(self, offset):
        """The slices that pick, from the padded input, the element at `offset` within every window."""
        return tuple(slice(o, o + st * (m - 1) + 1, st) for o, st, m in zip(offset, self.stride, self.out))

    def blocks(self, itemsize):
        """`(images, patches)`: the batch cut into slices of images whose patch matrix (of `itemsize`-byte
        values) fits in `BLOCK_BYTES`, each with the `Patches` of its own shape; one slice if all of it fits."""
        if (itemsize, BLOCK_BYTES) not in self.cut:  # worked out once per size, as the rest of the geometry
            size = max(1, BLOCK_BYTES // (self.n_rows * math.prod(self.grid) * itemsize))
            self.cut[itemsize, BLOCK_BYTES] = [
                (slice(start, start + size), patches_for((min(size, self.n - start), *self.x_shape[1:]), self.kernel,
                                                         self.stride, self.padding))
                for start in range(0, self.n, size)]
        return self.cut[itemsize, BLOCK_BYTES]

    def apply(self, x, dense):
        """`dense(cols)` on the patch matrix `cols` of `x`, as `(n, C_out, *out)`, and what `apply_backward` needs.

        A patch matrix larger than `BLOCK_BYTES` is made a block of images at a time, each block used
        by `dense` while it is still in the cache; then only `x` is kept, and `apply_backward` makes each
        block's columns again (copying from the cache costs less than a patch matrix sent out to memory
        and read back twice)."""
        blocks = self.blocks(x.itemsize)
        if len(blocks) == 1:
            cols = self.columns(x)
            return self.batch_first(dense(cols)), cols
        y = None
        for images, patches in blocks:
            y_block = dense(patches.columns(x[images]))
            if y is None:
                y = np.empty((self.n, len(y_block), *self.out), dtype=y_block.dtype)
            patches.batch_first(y_block, out=y[images])
        return y, x

    def apply_backward(self, kept, dy, dense_backward):
        """The backward of `apply`: `dcols = dense_backward(cols, dy)` on each block's columns (`dy` as
        `(C_out, n·prod(grid))`), added back onto the pixels -> `dx` `(n, C, *size)`, or None if
        `dense_backward` returns None (no input gradient wanted)."""
        blocks = self.blocks(kept.itemsize)
        if len(blocks) == 1:
            dcols = dense_backward(kept, self.channels_first(dy))
            return None if dcols is None else self.col2im(dcols)
        dx = None
        for images, patches in blocks:
            dcols = dense_backward(patches.columns(kept[images]), patches.channels_first(dy[images]))
            if dcols is not None:
                dx = np.empty(kept.shape, dtype=dcols.dtype) if dx is None else dx
                patches.col2im(dcols, out=dx[images])
        return dx

    def columns(self, x):
        """im2col: `x` `(n, C, *size)` -> `(C·prod(kernel), n·prod(grid))`, one column per window."""
        if self.tiles:
            return self.tiled(x).reshape(self.n_rows, self.n_columns)
        padded = self.channels_first_padded(x)
        cols = np.empty((self.channels, *self.kernel, self.n, *self.columns_grid), dtype=x.dtype)
        for in_cols, in_padded in self.offsets:  # kh·kw copies, each of the whole batch
            cols[in_cols] = padded[in_padded]
        return cols.reshape(self.n_rows, self.n_columns)

    def col2im(self, dcols, out=None):
        """The transpose of `columns`: add each column back onto the pixels of its window -> `(n, C, *size)`
        (into `out` if given)."""
        dcols = dcols.reshape(self.channels, *self.kernel, self.n, *self.columns_grid)
        if self.tiles:
            return self.untiled(dcols, out)
        dx = np.zeros(self.padded_shape, dtype=dcols.dtype)
        for in_cols, in_padded in self.offsets:  # windows overlap: a pixel gets the sum over its windows
            dx[in_padded] += dcols[in_cols]
        return self.unpadded(dx, out)

    @property
    def by_rows(self):  # windows that tile an image: their max is taken one axis at a time (`tile_max`)
        return self.tiles and len(self.kernel) == 2

    def window_columns(self, x):
        """The windows of `x` as `(C, window size, n·prod(grid))`: one column per window, for a pooling."""
        return self.columns(x).reshape(self.channels, math.prod(self.kernel), self.n_columns)

    def window_max(self, x):
        """The largest element of each window -> `(y, where)`: `y` `(n, C, *out)`, and `where` what
        `to_max` needs to route a gradient to each window's first maximum (in row-major order, as
        PyTorch), or to its last NaN if it holds any (PyTorch's rule too). Windows that tile an image
        are reduced one axis at a time (`tile_max`); any other as the columns' argmax."""
        if self.by_rows:
            return self.tile_max(x)
        cols = self.window_columns(x)
        y, where = cols.max(axis=1), cols.argmax(axis=1)  # argmax: the first maximum, or the first NaN
        nan = np.isnan(y)
        if nan.any():  # the last NaN: the first one counted from the end of the window
            where = np.where(nan, cols.shape[1] - 1 - np.isnan(cols[:, ::-1]).argmax(axis=1), where)
        return self.batch_first(y), where

    def to_max(self, dy, where):
        """The backward of `window_max`: all of `dy` `(n, C, *out)` onto each window's first maximum -> `dx`."""
        if self.by_rows:
            return self.from_tile_max(dy, where)
        position = np.arange(math.prod(self.kernel))[:, None]  # (k·k, 1): each element of a window
        return self.col2im((position == where[:, None]) * self.channels_first(dy)[:, None])

    def tile_max(self, x):
        """`window_max` of tiles: the max of each row of a window, then the max of those rows. The first
        maximum of the first row that holds the window's maximum is its first one in row-major order,
        and no step copies the image into windows (small images make such copies slow in NumPy)."""
        (kh, kw), wo = self.kernel, self.out[1]
        rows = x.reshape(-1, kw)  # each row of each window: kw neighbours
        row_max, in_row = first_max([rows[:, j] for j in range(kw)])
        stacked = row_max.reshape(-1, kh, wo)  # each window's kh row maxima, one above the other
        y, row = first_max([stacked[:, i] for i in range(kh)])
        return y.reshape(self.n, self.channels, *self.out), (in_row, row)

    def from_tile_max(self, dy, where):
        """`to_max` of `tile_max`: `dy` back to the row that won, then to the element that won in it."""
        (kh, kw), (in_row, row) = self.kernel, where
        n_rows = self.n * self.channels * self.out[0]  # rows of windows
        dy, d_rows = dy.reshape(n_rows, -1), np.empty((n_rows, kh, self.out[1]), dtype=dy.dtype)
        for i in range(kh):
            np.multiply(row == i, dy, out=d_rows[:, i])
        d_rows, dx = d_rows.reshape(-1), np.empty((d_rows.size, kw), dtype=dy.dtype)
        for j in range(kw):
            np.multiply(in_row == j, d_rows, out=dx[:, j])
        return dx.reshape(self.x_shape)

    def unpadded(self, padded, out=None):
        """A gradient laid out as `channels_first_padded` makes the input, back to `(n, C, *size)`."""
        if self.wide:
            padded = padded[:, :, : math.prod(self.padded)].reshape(self.channels, self.n, *self.padded)
        return copy(padded[self.inside].swapaxes(0, 1), out)

    @property
    def columns_grid(self):  # the positions' axes of `cols`: one flat run per image when wide
        return (math.prod(self.grid),) if self.wide else self.out

    @property
    def padded_shape(self):  # `(C, n, *padded)`, or flattened with one more row when wide
        if self.wide:
            return self.channels, self.n, (self.padded[0] + 1) * self.padded[1]
        return (self.channels, self.n, *self.padded)

    def channels_first_padded(self, x):
        """`x` `(n, C, *size)` as `(C, n, *padded)`: channels in front, zeros around (a view if there is
        nothing to add); flattened, with one more row of zeros, when wide."""
        if not any(self.padding) and not self.wide:
            return x.swapaxes(0, 1)
        padded = np.zeros(self.padded_shape, dtype=x.dtype)
        images = padded[:, :, : math.prod(self.padded)].reshape(self.channels, self.n, *self.padded)
        images[self.inside] = x.swapaxes(0, 1)
        return padded

    def tiled(self, x):
        """Windows that tile `x`: `(n, C, ho, kh, wo, kw)` seen as `(C, kh, kw, n, ho, wo)`, copied once."""
        d = len(self.kernel)
        split = x.reshape(self.n, self.channels, *(m for pair in zip(self.out, self.kernel) for m in pair))
        order = (1, *range(3, 2 + 2 * d, 2), 0, *range(2, 2 + 2 * d, 2))  # C, kernel axes, n, output axes
        return np.ascontiguousarray(split.transpose(order))

    def untiled(self, dcols, out=None):
        """The inverse of `tiled`: every pixel is in exactly one window, so nothing is added up."""
        d = len(self.kernel)
        order = np.argsort((1, *range(3, 2 + 2 * d, 2), 0, *range(2, 2 + 2 * d, 2)))
        split = (self.n, self.channels, *(m for pair in zip(self.out, self.kernel) for m in pair))
        return copy(dcols.transpose(order), None if out is None else out.reshape(split)).reshape(self.x_shape)

    def batch_first(self, y, out=None):
        """`(C_out, n·prod(grid))`, as the product `W @ cols` gives it -> `(n, C_out, *out)` (into `out` if given)."""
        y = y.reshape(len(y), self.n, *self.grid)
        if self.wide:
            y = y[..., : self.out[1]]  # drop the positions off the right edge
        return copy(y.swapaxes(0, 1), out)

    def channels_first(self, dy):
        """The inverse of `batch_first`: `(n, C_out, *out)` -> `(C_out, n·prod(grid))` (zeros off the edge)."""
        if not self.wide:
            return dy.swapaxes(0, 1).reshape(dy.shape[1], self.n_columns)
        wide = np.zeros((dy.shape[1], self.n, *self.grid), dtype=dy.dtype)
        wide[..., : self.out[1]] = dy.swapaxes(0, 1)
        return wide.reshape(dy.shape[1], self.n_columns)
