"""Small layers of the kinds gradcheck must handle, written here so its tests need no other issue's layers.

Each is the math, as a user would write it: a merge of two inputs, a layer of two outputs, a table
looked up by integer indices, a batch statistic with running buffers, a composite of two inputs.
Each correct one has a broken twin (one line differs, named in its docstring).
"""

import numpy as np

import tinygraph as tg
from tinygraph import checks


class Add2(tg.Layer):
    """y = a + b; backward: (dy, dy)."""

    def forward(self, a, b):
        return a + b

    def backward(self, dy):
        return dy, dy


class Add2ForgetsSecond(Add2):
    """backward: (dy, 0): the second input gets no gradient."""

    def backward(self, dy):
        return dy, np.zeros_like(dy)


class Split2(tg.Layer):
    """Two outputs: (2 * x[:, :k], tanh(x[:, k:])); backward takes a tuple of dys (None: no gradient)."""

    def __init__(self, k):
        self.k = k

    def forward(self, x):
        t = np.tanh(x[:, self.k :])
        self.save_for_backward(x.shape, t)
        return 2 * x[:, : self.k], t

    def backward(self, dys):
        shape, t = self.pop_saved()
        da, db = dys
        dx = np.zeros(shape, dtype=self.dtype)
        if da is not None:
            dx[:, : self.k] = 2 * da
        if db is not None:
            dx[:, self.k :] = db * (1 - t * t)
        return dx


class Split2WrongSecond(Split2):
    """The second output's gradient forgets the tanh derivative: dx[:, k:] = dyb."""

    def backward(self, dys):
        shape, t = self.pop_saved()
        dx = np.zeros(shape, dtype=self.dtype)
        dx[:, : self.k] = 2 * dys[0]
        dx[:, self.k :] = dys[1]
        return dx


class Lookup(tg.Layer):
    """Rows of a table by integer index: y = W[x], (N, ...) -> (N, ..., dim); repeated indices add up in dW."""

    def __init__(self, n, dim, rng=0):
        self.weight = tg.Parameter(np.random.default_rng(rng).standard_normal((n, dim)), name="weight")

    def as_input(self, x):
        return checks.as_indices(self, x, len(self.weight.value))

    def forward(self, x):
        self.save_for_backward(x)
        return self.weight.value[x]

    def backward(self, dy):
        x = self.pop_saved()
        grad = np.zeros_like(self.weight.value)
        np.add.at(grad, x, dy)
        self.weight.grad += grad
        return None  # an integer input has no gradient


class LookupOverwrites(Lookup):
    """grad[x] = dy: a repeated index keeps only one of its gradients."""

    def backward(self, dy):
        x = self.pop_saved()
        grad = np.zeros_like(self.weight.value)
        grad[x] = dy
        self.weight.grad += grad


class BatchStandardize(tg.Layer):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta over the batch axis of (N, C), in training mode;
    running_mean/running_var (buffers) follow with momentum and are used in eval mode."""

    def __init__(self, n, eps=1e-5, momentum=0.1):
        self.gamma = tg.Parameter(np.linspace(0.5, 1.5, n), name="gamma")
        self.beta = tg.Parameter(np.linspace(-0.2, 0.2, n), name="beta")
        self.eps, self.momentum = eps, momentum
        self.register_buffer("running_mean", np.zeros(n))
        self.register_buffer("running_var", np.ones(n))

    def forward(self, x):
        if self.training:
            mean, var = x.mean(axis=0), x.var(axis=0)
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var * len(x) / (len(x) - 1)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1 / np.sqrt(var + self.eps)
        x_hat = (x - mean) * inv_std
        self.save_for_backward(x_hat, inv_std)
        return self.gamma.value * x_hat + self.beta.value

    def backward(self, dy):
        x_hat, inv_std = self.pop_saved()
        self.gamma.grad += (dy * x_hat).sum(axis=0)
        self.beta.grad += dy.sum(axis=0)
        dx_hat = dy * self.gamma.value
        if not self.training:
            return dx_hat * inv_std
        n = len(dy)
        return inv_std / n * (n * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))


class BatchStandardizeAsConstant(BatchStandardize):
    """dx = dy * gamma / std: treats the batch mean and variance as constants (right only in eval mode)."""

    def backward(self, dy):
        x_hat, inv_std = self.pop_saved()
        self.gamma.grad += (dy * x_hat).sum(axis=0)
        self.beta.grad += dy.sum(axis=0)
        return dy * self.gamma.value * inv_std


class Merge2(tg.Layer):
    """A composite of two inputs: y = left(a) + right(b); backward: (left.backward(dy), right.backward(dy))."""

    def __init__(self, left, right):
        self.left, self.right = left, right

    def as_input(self, x):
        return x  # as a container: each child checks its own input (indices stay integers)

    def forward(self, a, b):
        return self.left(a) + self.right(b)

    def backward(self, dy):
        db = self.right.backward(dy)
        return self.left.backward(dy), db
