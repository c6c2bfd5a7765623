"""`Embedding`: a table of vectors looked up by integer index, `y = W[x]`."""

import numpy as np

from .. import checks
from ..init import as_rng
from ..layer import Layer
from ..parameter import Parameter


class Embedding(Layer):
    """Look up row `x` of the table `W` (`.weight`, `(num_embeddings, embedding_dim)`, drawn N(0, 1) as
    PyTorch's): integer indices `x` `(n_batch, ...)` give `y = W[x]` `(n_batch, ..., embedding_dim)`.

    backward: each position's `dy` is added to the row it looked up, so an index used several times
    collects the sum of its gradients: `dW[x[p]] += dy[p]` for every position `p`. The indices have no
    gradient: backward returns None.

    Indices must be integers in `[0, num_embeddings)`; floats, negative or too large indices raise an
    error naming the layer and the bad value.

    >>> table = Embedding(10, 3, rng=0)
    >>> table(np.array([[1, 2, 1]])).shape
    (1, 3, 3)
    """

    def __init__(self, num_embeddings, embedding_dim, rng=None):
        self.num_embeddings = checks.integer("Embedding", "num_embeddings", num_embeddings)
        self.embedding_dim = checks.integer("Embedding", "embedding_dim", embedding_dim)
        self.weight = Parameter(as_rng(rng).standard_normal((self.num_embeddings, self.embedding_dim)), name="weight")

    def as_input(self, x):
        return checks.as_indices(self, x, self.num_embeddings)

    def forward(self, x):
        self.save_for_backward(x)
        return self.weight.value[x]

    def backward(self, dy):
        x = self.pop_saved()
        self.weight.grad += rows_added(self.weight.value.shape, x, dy)  # dW[x[p]] += dy[p]
        return None  # integer indices have no gradient

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"


def rows_added(shape, x, dy):
    """A zero table of `shape` with each `dy[p]` added to row `x[p]`. `np.add.at`, unlike `table[x] += dy`,
    adds every one when an index repeats."""
    table = np.zeros(shape, dtype=dy.dtype)
    np.add.at(table, x, dy)
    return table
