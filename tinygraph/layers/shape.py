"""Layers that only move values around: `Identity`."""

from ..layer import Layer


class Identity(Layer):
    """`y = x`; backward `dx = dy`. A placeholder, e.g. the skip branch of a `Parallel`."""

    def forward(self, x):
        return x

    def backward(self, dy):
        return dy
