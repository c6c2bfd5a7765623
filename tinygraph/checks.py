"""Input coercion and argument validators: every "must be a positive int" in tinygraph is one of these.

Each raises an exception that names who is asking (`owner`, a layer or a string such as `"fit"`), the
argument and what was wrong with it, so a message never needs a traceback to be understood.
"""

import math
import numbers

import numpy as np

from .parameter import FLOAT_DTYPES


def name_of(owner):
    """How an error names its owner: a string as is, a layer or loss by its repr, a class by its name."""
    if isinstance(owner, str):
        return owner
    if isinstance(owner, type):
        return owner.__name__
    return repr(owner) if hasattr(owner, "forward") else type(owner).__name__


# -- arguments ------------------------------------------------------------------------------------


def integer(owner, name, value, minimum=1):
    """`value` as an int >= `minimum` (any int if `minimum` is None); `ValueError` otherwise (bools and
    floats are refused)."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or (minimum is not None and value < minimum):
        rule = "an int" if minimum is None else f"an int >= {minimum}"
        raise ValueError(f"{name_of(owner)}: {name} must be {rule}, got {value!r:.80}")
    return int(value)


def integers(owner, name, value, count, minimum=1):
    """`value` (an int, or a tuple or list of `count` ints) as a tuple of `count` ints >= `minimum`.

    What `kernel_size=3` or `kernel_size=(3, 5)` means: one size for every spatial axis, or one each.
    """
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * count
    if len(values) != count:
        raise ValueError(f"{name_of(owner)}: {name} must be an int or {count} ints, got {value!r:.80}")
    for item in values:
        if not isinstance(item, numbers.Integral) or isinstance(item, bool) or item < minimum:
            raise ValueError(f"{name_of(owner)}: {name} must be an int >= {minimum} or {count} of them, got {value!r:.80}")
    return tuple(int(item) for item in values)


def number(owner, name, value, low=None, high=None, low_open=False, high_open=True):
    """`value` as a finite float in the given range; `ValueError` naming the range otherwise.

    `low`/`high` of None mean no bound; `low_open`/`high_open` exclude the bound itself
    (by default the range is `[low, high)`).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name_of(owner)}: {name} must be a number, got {value!r:.80}")
    value = float(value)
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high or not math.isfinite(value):
        if low is not None and high is not None:
            rule = f"in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        elif low is not None:
            rule = f"{'>' if low_open else '>='} {low:g}"
        elif high is not None:
            rule = f"{'<' if high_open else '<='} {high:g}"
        else:
            rule = "a finite number"
        raise ValueError(f"{name_of(owner)}: {name} must be {rule}, got {value}")
    return value


def choice(owner, name, value, options):
    """`value` if it is one of `options`; `ValueError` listing them otherwise."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name_of(owner)}: {name} must be one of {', '.join(map(repr, options))}, got {value!r:.80}")
    return value


def flag(owner, name, value):
    """`value` if it is a bool (NumPy's too); `TypeError` otherwise."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name_of(owner)}: {name} must be True or False, got {value!r:.80}")
    return bool(value)


def weights(owner, name, value):
    """`value` as a read-only float64 array of finite numbers >= 0 (a loss's class or element weights)."""
    array = np.array(as_numeric(value, np.float64, f"{name_of(owner)}: {name}"))  # a copy of our own
    if array.size == 0 or not np.isfinite(array).all() or (array < 0).any():
        raise ValueError(f"{name_of(owner)}: {name} must hold finite numbers >= 0 (not empty), got {value!r:.80}")
    array.flags.writeable = False
    return array


def describe(thing):
    """How to name a wrong argument in an error; a class given instead of an instance gets a hint."""
    if isinstance(thing, type):
        return f"the class {thing.__name__}; create one first: {thing.__name__}()"
    return f"{type(thing).__name__} {' '.join(repr(thing).split()):.60}"  # one line, even for an array


# -- arrays ---------------------------------------------------------------------------------------


def as_array(value, what):
    """`np.asarray(value)`, or a `ValueError` naming `what` if it is ragged (rows of different lengths)."""
    try:
        return np.asarray(value)
    except ValueError:
        raise ValueError(f"{what} must be a rectangular array, but its rows have different lengths") from None


def as_numeric(value, dtype, what):
    """`value` as an ndarray of float `dtype`; `TypeError` (naming `what`) if it is not real numbers.

    A narrowing cast (float64 to float32) that would overflow is a `ValueError` instead of an Inf.
    """
    array = as_array(value, what)
    if array.dtype.kind not in "fiub":
        kind = "complex" if array.dtype.kind == "c" else "non-numeric"
        raise TypeError(f"{what} must hold real numbers, got {kind} dtype {array.dtype}")
    dtype = np.dtype(dtype)
    if array.dtype.kind == "f" and array.dtype.itemsize > dtype.itemsize:  # narrowing: may not fit
        with np.errstate(over="ignore"):  # this cast only; too large a value is an error just below
            cast = array.astype(dtype)
        too_large = np.isinf(cast) & np.isfinite(array)
        if too_large.any():
            raise ValueError(f"{what} holds {array[too_large][0]}, beyond the range of {dtype}")
        return cast
    return array.astype(dtype, copy=False)


def as_float(value, what):
    """`value` as a float32 or float64 array (float64 unless float32 already)."""
    array = np.asarray(value)
    return as_numeric(array, array.dtype if array.dtype in FLOAT_DTYPES else np.float64, what)


def as_input(layer, x):
    """`x` as an array of `layer.dtype` with a batch axis (rank 2 or more), or a clear error naming the layer.

    Integer and bool inputs are cast to the layer's dtype, as are floats of another precision; complex,
    object and string inputs raise `TypeError`; a 0-D or 1-D input raises `ValueError` with a hint.
    """
    if type(x) is np.ndarray and x.dtype == layer.dtype and x.ndim >= 2:
        return x
    x = as_numeric(x, layer.dtype, f"{layer!r}: input x")
    if x.ndim < 2:
        raise ValueError(f"{layer!r}: input x must have a batch axis, (n_batch, ...), got shape {x.shape}{reshape_hint(x)}")
    return x


def as_indices(layer, x, n_values):
    """`x` as an array of integer indices in `[0, n_values)`, or a clear error naming the layer and the value."""
    array = np.asarray(x)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{layer!r}: indices must be integers, got dtype {array.dtype}" + (
            " (cast whole-number floats with x.astype(int))" if array.dtype.kind == "f" else ""))
    if array.ndim < 1:
        raise ValueError(f"{layer!r}: indices must have a batch axis, (n_batch, ...), got a scalar")
    if array.size and (array.min() < 0 or array.max() >= n_values):
        bad = array[(array < 0) | (array >= n_values)].flat[0]
        raise ValueError(f"{layer!r}: index {bad} is out of range [0, {n_values})")
    return array


def as_grad(layer, dy, shape):
    """`dy` as an array of `layer.dtype` with the output's `shape`, or a `ValueError` naming the layer."""
    if type(dy) is np.ndarray and dy.shape == shape and dy.dtype == layer.dtype:
        return dy
    dy = as_numeric(dy, layer.dtype, f"{layer!r}.backward: dy")
    if dy.shape != shape:
        raise ValueError(f"{layer!r}.backward: dy has shape {dy.shape}, expected {shape} (the shape of its output y)")
    return dy


def reshape_hint(x):
    """A hint for the usual mistake of a single sample or a single feature given as a 1-D array."""
    if np.ndim(x) == 1:
        n = np.shape(x)[0]
        return (
            f"; use x.reshape(1, -1) for one sample of {n} features "
            f"or x.reshape(-1, 1) for {n} samples of one feature"
        )
    return ""
