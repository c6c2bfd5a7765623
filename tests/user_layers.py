"""A layer as a user writes one (the README's `Scale`), for the tests that need a layer tinygraph does not ship."""

import numpy as np

import tinygraph as tg


class Scale(tg.Layer):
    """A user's own layer: y = x * s, with one parameter s of shape (n_in,)."""

    def __init__(self, n):
        self.s = tg.Parameter(np.linspace(0.5, 1.5, n), name="s")

    def forward(self, x):
        self.save_for_backward(x)
        return x * self.s.value

    def backward(self, dy):
        x = self.pop_saved()
        self.s.grad += (dy * x).sum(axis=0)
        return dy * self.s.value
