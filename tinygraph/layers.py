"""The built-in layers: `Dense`; `Sigmoid`, `Tanh`, `ReLU`, `LeakyReLU`, `Softmax`; `Dropout`, `Identity`.

Each is a forward and a backward, shapes batch first: `x` and `dx` are `(n_batch, n_in)`, `y` and `dy`
are `(n_batch, n_out)`. Backward adds into parameter gradients and returns `dx`.
"""

import numpy as np

from .core import Layer, Parameter, as_grad, as_input
from .init import as_rng, initial_values


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

    can_skip_dx = True  # the first layer's dx, a whole matrix product, is never needed in training

    def backward(self, dy, need_dx=True):
        x = self.pop_saved()
        dy = as_grad(self, dy, (x.shape[0], self.out_features))
        self.weight.add_grad(np.matmul, x.T, dy)  # dW += x.T @ dy
        if self.bias is not None:
            self.bias.add_grad(np.add.reduce, dy, axis=0)  # db += dy.sum(axis=0)
        return dy @ self.weight.value.T if need_dx else None

    def extra_repr(self):
        return f"{self.in_features}→{self.out_features}" + ("" if self.bias is not None else ", bias=False")


class Sigmoid(Layer):
    """`y = 1 / (1 + exp(-x))`, computed without overflow; backward `dx = dy * y * (1 - y)`.

    `-x` is capped at the largest exponent the dtype can take (709 for float64, 88 for float32), so
    `exp` never overflows and there is no warning at `x = -1e4`; below that cap, `y` is already
    smaller than the smallest normal number. Elsewhere it is exactly the textbook formula.
    """

    EXP_LIMIT = {np.dtype(np.float64): 709.0, np.dtype(np.float32): 88.0}

    def forward(self, x):
        x = as_input(self, x)
        y = np.negative(x)
        np.minimum(y, self.EXP_LIMIT[y.dtype], out=y)
        np.exp(y, out=y)
        y += 1.0
        np.reciprocal(y, out=y)
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
    """`y = max(x, 0)`; backward `dx = dy * (x > 0)` (the gradient at exactly 0 is 0, as in PyTorch).

    (`x * (x > 0)` would take half the time on float32, but gives -0.0 for negative inputs and NaN for
    -inf, so the exact `np.maximum` stays.)
    """

    def forward(self, x):
        x = as_input(self, x)
        mask = x > 0
        self.save_for_backward(mask)
        return np.maximum(x, 0)

    def backward(self, dy):
        mask = self.pop_saved()
        dy = as_grad(self, dy, mask.shape)
        return dy * mask


class LeakyReLU(Layer):
    """`y = x` where `x > 0`, else `alpha * x`; backward `dx = dy * (1 if x > 0 else alpha)`."""

    def __init__(self, alpha=0.01):
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.floating, np.integer)) or not np.isfinite(alpha):
            raise ValueError(f"LeakyReLU: alpha must be a finite number, got {alpha!r}")
        self.alpha = float(alpha)

    def forward(self, x):
        x = as_input(self, x)
        slope = np.where(x > 0, 1.0, self.alpha).astype(x.dtype, copy=False)
        self.save_for_backward(slope)
        return x * slope

    def backward(self, dy):
        slope = self.pop_saved()
        return as_grad(self, dy, slope.shape) * slope

    def extra_repr(self):
        return f"alpha={self.alpha:g}"


class Softmax(Layer):
    """`y_ij = exp(x_ij) / sum_k exp(x_ik)` along the features, computed as `exp(x - max)`.

    backward, the Jacobian-vector product: `dx = y * (dy - sum_k(dy_k * y_k))`, row by row.
    (For classification, `SoftmaxCrossEntropy` on logits is the stable choice; this layer is for
    networks that need probabilities inside.)
    """

    def forward(self, x):
        x = as_input(self, x)
        e = np.exp(x - x.max(axis=1, keepdims=True))
        y = e / e.sum(axis=1, keepdims=True)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        y = self.pop_saved()
        dy = as_grad(self, dy, y.shape)
        return y * (dy - np.sum(dy * y, axis=1, keepdims=True))


class Dropout(Layer):
    """Inverted dropout: in training, zero each element with probability `p` and scale the rest by `1 / (1 - p)`.

    `y = x * mask`, `dx = dy * mask`, with `mask` in `{0, 1 / (1 - p)}`, so the expected output is `x`
    and evaluation needs no rescaling: in eval mode (`.eval()`) the layer is the identity. `rng` (an int
    seed or a `np.random.Generator`) draws the masks, so a seeded run is repeatable.
    """

    def __init__(self, p=0.5, rng=None):
        if isinstance(p, bool) or not isinstance(p, (int, float, np.floating, np.integer)) or not 0 <= p < 1:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = as_rng(rng)

    def forward(self, x):
        x = as_input(self, x)
        if not self.training or self.p == 0:
            self.save_for_backward(x.shape)
            return x
        mask = (self.rng.random(x.shape, dtype=x.dtype) >= self.p).astype(x.dtype)
        mask *= 1.0 / (1.0 - self.p)
        self.save_for_backward(mask)
        return x * mask

    def backward(self, dy):
        mask = self.pop_saved()
        if isinstance(mask, tuple):  # the forward ran as the identity
            return as_grad(self, dy, mask)
        return as_grad(self, dy, mask.shape) * mask

    def extra_repr(self):
        return f"p={self.p:g}"


class Identity(Layer):
    """`y = x`; backward `dx = dy`. A placeholder, e.g. the skip branch of a `Parallel`."""

    def forward(self, x):
        x = as_input(self, x)
        self.save_for_backward(x.shape)
        return x

    def backward(self, dy):
        return as_grad(self, dy, self.pop_saved())
