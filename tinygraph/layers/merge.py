"""Merge layers: `Add`, `Multiply` and `Concat` join two or more inputs into one output.

They take several arrays, `y = merge(x_1, x_2, ...)`, and their backward returns a tuple with one
gradient per input, `(dx_1, dx_2, ...)`. They work on arrays, and on the nodes of a graph
(`tinygraph.graph`), where they are how branches meet. Nothing is broadcast: shapes that do not merge
raise a `ValueError` naming both.
"""

import math

import numpy as np

from .. import checks
from ..layer import Layer


class Merge(Layer):
    """Base of the layers that join two or more inputs into one (`forward(*xs)`)."""

    arity = (2, math.inf)  # how many inputs it takes (a graph checks this when the merge is called on nodes)

    def count(self, xs):
        """Refuse fewer than two inputs: a merge of one input is a mistake, not an identity."""
        if len(xs) < self.arity[0]:
            raise ValueError(f"{self!r}: takes two or more inputs, got {len(xs)}")


class Add(Merge):
    """`y = x_1 + x_2 + ...`, inputs of one shape; backward: every input gets all of `dy`, `dx_i = dy`.

    >>> Add()(np.ones((2, 3)), np.full((2, 3), 2.0))
    array([[3., 3., 3.],
           [3., 3., 3.]])
    """

    def forward(self, *xs):
        same_shapes(self, xs, "add")
        self.save_for_backward(len(xs))
        return sum(xs[1:], xs[0])

    def backward(self, dy):
        n_inputs = self.pop_saved()
        return (dy,) * n_inputs


class Multiply(Merge):
    """`y = x_1 * x_2 * ...` elementwise, inputs of one shape; backward: `dx_i = dy * (the product of the others)`.

    >>> multiply = Multiply()
    >>> multiply(np.array([[2.0, 3.0]]), np.array([[4.0, 5.0]]))
    array([[ 8., 15.]])
    >>> multiply.backward(np.ones((1, 2)))
    (array([[4., 5.]]), array([[2., 3.]]))
    """

    def forward(self, *xs):
        same_shapes(self, xs, "multiply")
        self.save_for_backward(xs)
        return product(xs)

    def backward(self, dy):
        xs = self.pop_saved()
        return tuple(dy * product(xs[:i] + xs[i + 1 :]) for i in range(len(xs)))


class Concat(Merge):
    """`y = [x_1, x_2, ...]` joined along `axis` (the last by default; `axis=1` for the channels of NCHW images).

    The inputs must agree on every other axis; `axis` cannot be the batch axis. backward splits `dy`
    along `axis` into pieces as wide as the inputs: `dx_i` is the piece where `x_i` went.

    >>> Concat()(np.ones((4, 2)), np.zeros((4, 3))).shape
    (4, 5)
    """

    def __init__(self, axis=-1):
        self.axis = checks.integer("Concat", "axis", axis, minimum=-(2**31))

    def forward(self, *xs):
        self.count(xs)
        shapes = [x.shape for x in xs]
        ndim = xs[0].ndim
        axis = self.axis % ndim if -ndim <= self.axis < ndim else 0
        for shape in shapes[1:]:
            if axis == 0 or len(shape) != ndim or shape[:axis] + shape[axis + 1 :] != shapes[0][:axis] + shapes[0][axis + 1 :]:
                raise ValueError(
                    f"{self!r}: cannot concatenate shapes {shapes[0]} and {shape} along axis {self.axis}: they must "
                    "agree on every other axis (and the axis cannot be the batch axis 0)"
                )
        self.save_for_backward(np.cumsum([shape[axis] for shape in shapes])[:-1], axis)
        return np.concatenate(xs, axis=axis)

    def backward(self, dy):
        offsets, axis = self.pop_saved()
        return tuple(np.split(dy, offsets, axis=axis))

    def extra_repr(self):
        return "" if self.axis == -1 else f"axis={self.axis}"


def same_shapes(layer, xs, verb):
    """Refuse inputs of different shapes, naming the first two that differ (nothing is broadcast)."""
    layer.count(xs)
    for x in xs[1:]:
        if x.shape != xs[0].shape:
            raise ValueError(
                f"{layer!r}: cannot {verb} shapes {xs[0].shape} and {x.shape}: every input must have the same shape "
                "(nothing is broadcast)"
            )


def product(xs):
    """`xs[0] * xs[1] * ...`"""
    y = xs[0]
    for x in xs[1:]:
        y = y * x
    return y
