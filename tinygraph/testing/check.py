"""`check_layer`: gradcheck and the properties every layer must have, as one assertion for a test suite."""

import copy

import numpy as np

from ..inference import inference
from ..inspect.gradcheck import gradcheck
from ..layer import Layer
from ..watch import sample_shape


def check_layer(layer, x=None, *, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0, mode="auto", allow_zero=False):
    """Assert that `layer`'s backward is right; return the `GradcheckReport` when it is.

    Runs `gradcheck` on a float64 copy of `layer` (the layer itself is not changed), which checks the
    input and parameter gradients against finite differences, and that a second forward+backward
    gives the same gradients and doubles the parameter gradients, a zero upstream gradient gives zero
    gradients, forward leaves its input alone, backward leaves its `dy` alone and returns a `dx` of
    the input's shape and dtype, and that something was checked at all (see `allow_zero`).

    `x` (an array, or a tuple for several inputs) defaults to a `(4, n_in)` array (`n_in` from the
    layer, 3 if it takes any width) with entries of magnitude 0.1 to 2. A layer without `in_features`
    that refuses a width of 3 raises a `ValueError` saying that the width could not be guessed and how
    to give it. On failure, raises
    `AssertionError` naming the layer class, what is wrong (the tensor, the worst index, the analytic
    and numeric values, the errors and tolerances; for a model of layers, the culprit), followed by
    the full gradcheck table. Under pytest the traceback stops at your test: this function's own
    frame is hidden (`__tracebackhide__`).
    """
    __tracebackhide__ = True
    if not isinstance(layer, Layer):
        raise TypeError(f"check_layer: expected a tinygraph Layer, got {type(layer).__name__}")
    if x is None:
        x = guessed_input(layer, seed)
    report = gradcheck(layer, x, eps=eps, atol=atol, rtol=rtol, seed=seed, mode=mode, allow_zero=allow_zero)
    if not report.ok:
        raise AssertionError(f"check_layer({type(layer).__name__}): " + "; ".join(report.failures()) + "\n" + str(report))
    return report


def guessed_input(layer, seed):
    """A `(4, n_in)` input for `layer`: `n_in` from its `in_features`, else 3, tried first on a copy."""
    rng = np.random.default_rng(seed)
    known = sample_shape(layer)
    shape = (4, *(known or (3,)))
    x = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)
    if known is None:
        try:
            with inference():  # a copy, in eval mode: the layer is left as it was
                copy.deepcopy(layer)(x)
        except (ValueError, TypeError, IndexError) as error:
            raise ValueError(
                f"check_layer({type(layer).__name__}): the input width could not be guessed (the layer has no "
                f"in_features), and a (4, 3) input failed: {' '.join(str(error).split())}. Give an input: "
                "check_layer(layer, x) with x of shape (n_batch, n_in), or give the layer an in_features attribute"
            ) from error
    return x
