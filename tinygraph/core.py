"""`Parameter` and `Layer`: the two ideas every other file builds on.

A `Parameter` is a trainable array with the gradient accumulated for it. A `Layer` is anything with
`forward(x) -> y` and `backward(dy) -> dx`; it keeps what its backward needs in `forward`
(`save_for_backward`) and takes it back in `backward` (`pop_saved`).

Weight sharing needs one rule: the saved values form a stack, so a layer used twice in one pass keeps
both, and each `backward` consumes the most recent `forward` (last in, first out, the order in which a
container's backward runs). Calling a model, `net(x)`, starts a new pass; values an earlier pass saved
and no backward consumed are dropped then, so evaluating again and again never grows memory.
"""

import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping

import numpy as np

FLOAT64 = np.dtype(np.float64)
FLOAT_DTYPES = (np.dtype(np.float32), FLOAT64)  # what a model, and a loss, computes in


class Parameter:
    """A trainable array and the gradient accumulated for it.

    `value` is the array (float32 if given float32 values, else float64), `grad` starts as
    zeros of the same shape and dtype, and backward passes add into it (`grad += ...`, or `add_grad`).
    `name` is the attribute name the owning layer gave it (`"weight"`, `"bias"`).

    `zero_grad()` clears the gradient without a pass over memory: it only marks it as zero. The next
    `add_grad` then writes its result straight into `grad` (no temporary array, no addition), and
    reading `grad` before that fills it with zeros. Either way, `grad` always reads as it should.

    >>> p = Parameter([[1.0, 2.0]], name="weight")
    >>> p
    Parameter(weight, shape=(1, 2), dtype=float64)
    >>> p.grad
    array([[0., 0.]])
    """

    __slots__ = ("value", "_grad", "_grad_is_zero", "name")

    def __init__(self, value, name=""):
        value = np.array(value)
        if value.dtype not in FLOAT_DTYPES:
            if value.dtype.kind not in "iubf":
                raise TypeError(f"Parameter {name!r}: values must be real numbers, got dtype {value.dtype}")
            value = value.astype(FLOAT64)  # ints, bools, float16, longdouble: the default precision
        self.value = value
        self._grad = np.zeros_like(value)
        self._grad_is_zero = False
        self.name = name

    @property
    def grad(self):
        if self._grad_is_zero:
            self._grad.fill(0)
            self._grad_is_zero = False
        return self._grad

    @grad.setter
    def grad(self, array):
        self._grad, self._grad_is_zero = array, False

    def zero_grad(self):
        """Make the gradient zero (lazily: see the class docstring)."""
        self._grad_is_zero = True

    def add_grad(self, op, *args, **kwargs):
        """`grad += op(*args, **kwargs)`; right after `zero_grad`, `op(..., out=grad)` instead.

        `op` is a NumPy function with an `out=` argument, e.g. `add_grad(np.matmul, x.T, dy)`.
        """
        if self._grad_is_zero:
            op(*args, **kwargs, out=self._grad)
            self._grad_is_zero = False
        else:
            self._grad += op(*args, **kwargs)

    def __repr__(self):
        return f"Parameter({self.name or '?'}, shape={self.value.shape}, dtype={self.value.dtype})"


class _PassState(threading.local):
    """Per thread: how many layer calls are running, and a number for each pass through a model."""

    depth = 0
    number = 0


_passes = _PassState()


def in_pass():
    """True while a layer is being called (`layer(x)`), so that every forward belongs to one pass."""
    return _passes.depth > 0


class _Saved:
    """What one layer's forwards saved in the current pass, newest last."""

    __slots__ = ("values", "pass_number")

    def __init__(self):
        self.values = []
        self.pass_number = None


class Layer(ABC):
    """Abstract base of every layer and container.

    A subclass implements `forward(x) -> y`, saving what backward needs with `save_for_backward`, and
    `backward(dy) -> dx`, which takes it back with `pop_saved`, *adds* into each `Parameter.grad` and
    returns the gradient with respect to the input. Shapes are batch first: `x` is `(n_batch, n_in)`.

    Call a layer to run it: `layer(x)` is `layer.forward(x)` inside one pass (see the module docstring).

    A layer whose input gradient is costly (`Dense`, the containers) may set `can_skip_dx = True` and
    accept `backward(dy, need_dx=False)`: the caller will not use `dx`, so it may return None instead.
    Training never needs the gradient of the model's input; `fit` asks for none.

    `parameters()` finds every `Parameter` and sub-`Layer` assigned as an attribute (also inside lists
    and tuples), in definition order, each once, so a shared layer's parameters appear once.
    """

    training = True
    dtype = FLOAT64
    can_skip_dx = False  # True: backward also accepts need_dx=False and then may skip computing dx

    @abstractmethod
    def forward(self, x):
        """Compute `y` from `x` (`(n_batch, n_in)`) and save what `backward` needs."""

    @abstractmethod
    def backward(self, dy):
        """Given `dy = dL/dy`, add into each parameter's `.grad` and return `dx = dL/dx`."""

    def __call__(self, x):
        passes = _passes  # this runs once per layer call, so it is kept lean
        depth = passes.depth
        if depth == 0:
            passes.number += 1
        passes.depth = depth + 1
        try:
            return self.forward(x)
        finally:
            passes.depth = depth

    # -- the saved-values stack -------------------------------------------------------------------

    def save_for_backward(self, value):
        """Keep `value` (any object) for the `backward` of this forward."""
        number = _passes.number if _passes.depth else None  # a direct call outside a pass is its own pass
        saved = self.__dict__.get("_saved")
        if saved is None:
            saved = self._saved = _Saved()
        if number is None or saved.pass_number != number:
            saved.values.clear()  # what forwards of an earlier pass saved was never consumed: dropped
            saved.pass_number = number
        saved.values.append(value)

    def pop_saved(self):
        """Take back what the most recent unconsumed forward saved; `RuntimeError` if there is none."""
        saved = self.__dict__.get("_saved")
        if saved is None or not saved.values:
            raise RuntimeError(
                f"{self!r}: backward called before forward; each backward consumes one forward "
                "(run the model, `y = net(x)`, before `net.backward(dy)`)"
            )
        return saved.values.pop()

    # -- structure --------------------------------------------------------------------------------

    def named_members(self):
        """Yield `(name, member)` for each `Parameter` or `Layer` held directly, in definition order.

        Lists and tuples of them are looked into (named `attr.0`, `attr.1`, ...). Containers override
        this to name their children by position.
        """
        for name, value in vars(self).items():
            if isinstance(value, (Parameter, Layer)):
                yield name, value
            elif type(value) in (list, tuple):
                for i, item in enumerate(value):
                    if isinstance(item, (Parameter, Layer)):
                        yield f"{name}.{i}", item

    def walk(self):
        """Yield `(path, member)` for every `Parameter` and `Layer` below this layer, each once.

        Depth first in definition order; paths join member names with dots (`"1.0.weight"`).
        """
        seen = {id(self)}

        def visit(layer, prefix):
            for name, member in layer.named_members():
                if id(member) not in seen:
                    seen.add(id(member))
                    yield prefix + name, member
                    if isinstance(member, Layer):
                        yield from visit(member, prefix + name + ".")

        return visit(self, "")

    def named_parameters(self):
        """Return `[(name, parameter), ...]`, names like `"0.weight"`, each parameter once."""
        return [(name, member) for name, member in self.walk() if isinstance(member, Parameter)]

    def parameters(self):
        """Return every `Parameter` of this layer and its sub-layers, in definition order, each once."""
        return [p for _, p in self.named_parameters()]

    def named_layers(self):
        """Return `[(path, layer), ...]`: this layer (path `""`) and every sub-layer, each once."""
        return [("", self)] + [(name, member) for name, member in self.walk() if isinstance(member, Layer)]

    def all_layers(self):
        """Return this layer and every sub-layer below it, each once, parents before children."""
        return [layer for _, layer in self.named_layers()]

    # -- modes, gradients, dtype, state -----------------------------------------------------------

    def zero_grad(self):
        """Set every parameter's gradient to zero."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode=True):
        """Set `.training` on this layer and every sub-layer; return self."""
        for layer in self.all_layers():
            layer.training = mode
        return self

    def eval(self):
        """Evaluation mode (`.training = False`) everywhere; return self."""
        return self.train(False)

    def predict(self, X, batch_size=None):
        """Return the model's output for `X` in evaluation mode, in batches of `batch_size` (None: all at once).

        Each layer's `training` flag is restored afterwards.
        """
        X = np.asarray(X)
        if batch_size is not None and (not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
            raise ValueError(f"{self!r}.predict: batch_size must be a positive int or None, got {batch_size!r}")
        modes = [(layer, layer.training) for layer in self.all_layers()]
        self.eval()
        try:
            if batch_size is None or X.ndim != 2 or len(X) <= batch_size:
                return self(X)
            return np.concatenate([self(X[i : i + batch_size]) for i in range(0, len(X), batch_size)])
        finally:
            for layer, training in modes:
                layer.training = training

    def astype(self, dtype):
        """Convert every parameter, gradient and (from now on) activation to a float `dtype`; return self.

        >>> from tinygraph import Dense
        >>> Dense(2, 3).astype(np.float32).weight.value.dtype
        dtype('float32')
        """
        dtype = np.dtype(dtype)
        if dtype not in FLOAT_DTYPES:
            raise TypeError(f"{self!r}.astype: dtype must be np.float32 or np.float64, got {dtype}")
        for p in self.parameters():
            p.value = p.value.astype(dtype)
            p.grad = p.grad.astype(dtype)
        for layer in self.all_layers():
            layer.dtype = dtype
            layer.__dict__.pop("_saved", None)  # values saved at the old dtype are useless now
        return self

    def state_dict(self):
        """Return `{name: copy of parameter value}`, names as in `named_parameters()`."""
        return {name: p.value.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state, strict=True):
        """Copy arrays from `state` into the parameters of the same names.

        Names, shapes and dtypes are all checked before anything is copied: a mismatch raises
        `ValueError` naming the parameter and leaves the model unchanged. With `strict=False`, missing
        and unexpected names are ignored (shapes and dtypes are still checked).
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"{self!r}.load_state_dict: expected a dict of arrays, got {type(state).__name__}")
        params = dict(self.named_parameters())
        if strict:
            missing = [name for name in params if name not in state]
            unexpected = [name for name in state if name not in params]
            if missing or unexpected:
                raise ValueError(
                    f"{self!r}.load_state_dict: missing {missing or 'nothing'}, unexpected {unexpected or 'nothing'}"
                )
        updates = []
        for name, p in params.items():
            if name not in state:
                continue
            value = state[name]
            if not isinstance(value, np.ndarray):
                raise TypeError(f"load_state_dict: {name!r} must be a NumPy array, got {type(value).__name__}")
            if value.shape != p.value.shape:
                raise ValueError(f"load_state_dict: {name!r} has shape {value.shape}, the model expects {p.value.shape}")
            if value.dtype != p.value.dtype:
                raise ValueError(
                    f"load_state_dict: {name!r} has dtype {value.dtype}, the model has {p.value.dtype} "
                    f"(convert the model first with .astype(np.{value.dtype}))"
                )
            updates.append((p, value))
        for p, value in updates:
            p.value[...] = value
        return self

    def summary(self, n_in=None):
        """A table of the layers, their output widths and parameter counts, with totals; no data needed.

        The result is a `str` that shows as the table at the prompt; `print(model.summary())` works too.
        `n_in` gives the input width when the model cannot tell it (no `Dense` at its start).
        """
        from .summary import summary  # the printing lives with the printer, not in the layer

        return summary(self, n_in)

    def __repr__(self):
        args = self.extra_repr()
        return f"{type(self).__name__}({args})" if args else type(self).__name__

    def extra_repr(self):
        """The arguments shown inside `repr(layer)`'s parentheses (none by default)."""
        return ""


def run_backward(layer, dy, need_dx=True):
    """`layer.backward(dy)`, or, when `dx` is not needed and the layer can skip it, `backward(dy, need_dx=False)`."""
    if need_dx or not layer.can_skip_dx:
        return layer.backward(dy)
    return layer.backward(dy, need_dx=False)


def input_width(layer):
    """The number of input features `layer` expects, or None if it takes any width.

    A layer with `in_features` (like `Dense`) says so itself; any other layer expects what its first
    sub-layer that knows expects, in definition order (a container's first child, a branch of
    `Parallel`, the inside of `Residual`).
    """
    width = getattr(layer, "in_features", None)
    if isinstance(width, (int, np.integer)):
        return int(width)
    for _, member in layer.named_members():
        if isinstance(member, Layer):
            width = input_width(member)
            if width is not None:
                return width
    return None


def as_input(layer, x):
    """Return `x` as a 2-D array of `layer.dtype`, or raise a clear error naming the layer.

    Integer and bool inputs are cast to the layer's dtype, as are floats of another precision; complex,
    object and string inputs raise `TypeError`; anything but 2-D raises `ValueError`.
    """
    if type(x) is np.ndarray and x.dtype == layer.dtype and x.ndim == 2:
        return x
    x = as_numeric(x, layer.dtype, f"{layer!r}: input x")
    if x.ndim != 2:
        raise ValueError(f"{layer!r}: input x must be 2-D (n_batch, n_in), got shape {x.shape}{_reshape_hint(x)}")
    return x


def as_grad(layer, dy, shape):
    """Return `dy` as an array of `layer.dtype` with the layer's output `shape`, or raise `ValueError`."""
    if type(dy) is np.ndarray and dy.shape == shape and dy.dtype == layer.dtype:
        return dy
    dy = as_numeric(dy, layer.dtype, f"{layer!r}.backward: dy")
    if dy.shape != shape:
        raise ValueError(f"{layer!r}.backward: dy has shape {dy.shape}, expected {shape} (the shape of its output y)")
    return dy


def as_numeric(value, dtype, what):
    """`value` as an ndarray of float `dtype`; `TypeError` (naming `what`) if it is not real numbers."""
    array = np.asarray(value)
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


def _reshape_hint(x):
    if x.ndim == 1:
        return (
            f"; use x.reshape(1, -1) for one sample of {x.shape[0]} features "
            f"or x.reshape(-1, 1) for {x.shape[0]} samples of one feature"
        )
    return ""
