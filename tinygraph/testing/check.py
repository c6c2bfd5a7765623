"""`check_layer`: gradcheck and the properties every layer must have, as one assertion for a test suite."""

import copy

import numpy as np

from ..inspect.gradcheck import gradcheck
from ..layer import Layer, sample_shape


def check_layer(layer, x=None, *, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0):
    """Assert that `layer`'s backward is right; return the `GradcheckReport` when it is.

    Checks, on a float64 copy of `layer` (the layer itself is not changed):

    - `gradcheck`: input and parameter gradients against central differences, `dx.shape == x.shape`,
      a second forward+backward gives the same `dx` and twice the parameter gradients;
    - forward leaves its input untouched, and backward its `dy`;
    - a zero upstream gradient gives zero gradients everywhere.

    `x` defaults to a `(4, n_in)` array (`n_in` from the layer, 3 if it takes any width) with entries
    of magnitude 0.1 to 2. On failure, raises `AssertionError` naming the layer class, the tensor
    (`input` or the parameter's name), the worst index, the analytic and numeric values there, the
    errors and the tolerances, followed by the full gradcheck table.
    """
    if not isinstance(layer, Layer):
        raise TypeError(f"check_layer: expected a tinygraph Layer, got {type(layer).__name__}")
    if x is None:
        rng = np.random.default_rng(seed)
        shape = (4, *(sample_shape(layer) or (3,)))
        x = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)
    report = gradcheck(layer, x, eps=eps, atol=atol, rtol=rtol, seed=seed)
    problems = report.failures() + _property_problems(copy.deepcopy(layer).astype(np.float64), np.array(x, dtype=np.float64), seed)
    if problems:
        raise AssertionError(f"check_layer({type(layer).__name__}): " + "; ".join(problems) + "\n" + str(report))
    return report


def _property_problems(layer, x, seed):
    problems = []
    x_given = x.copy()
    y = layer(x_given)
    problems += _changed("forward modified its input x", x, x_given)
    dy = np.random.default_rng(seed).standard_normal(np.shape(y))
    dy_given = dy.copy()
    layer.backward(dy_given)
    problems += _changed("backward modified its upstream gradient dy", dy, dy_given)
    layer.zero_grad()
    layer(x)
    dx = layer.backward(np.zeros_like(dy))
    for tensor, grad in [("input", dx)] + [(n, p.grad) for n, p in layer.named_parameters()]:
        grad = np.asarray(grad)
        if grad.any():
            index = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(grad)), grad.shape))
            problems.append(f"with dy = 0 the {tensor} gradient is not zero: {grad[index]:.6g} at index {index}")
    return problems


def _changed(what, before, after):
    if np.array_equal(before, after, equal_nan=True):
        return []
    change = np.abs(np.asarray(after, dtype=np.float64) - before)
    index = tuple(int(i) for i in np.unravel_index(np.nanargmax(change), change.shape))
    return [f"{what}: {before[index]:.6g} became {after[index]:.6g} at index {index}"]
