"""`Loss`: what every loss shares, and the one mechanism of reductions (`"mean"`, `"sum"`, `"none"`).

A loss's `forward(pred, target)` returns its *unreduced* losses, one per element (MSE) or per sample
(SoftmaxCrossEntropy), and its `backward(dloss)` returns `dpred` from `dloss`, the gradient of those
unreduced losses. Neither says how they are reduced: the machinery around every loss call
(`tinygraph.calls`) asks `reduce` for the value the caller sees, and `unreduce` for the `dloss` that
backward gets, so the reduction is written once, here:

    reduction   loss(pred, target)              dloss handed to backward
    "mean"      sum(losses) / total (a float)   dvalue / total, a number (dvalue = 1 unless given)
    "sum"       sum(losses) (a float)           dvalue
    "none"      losses (an array)               the upstream gradient given, of the losses' shape

`total` is the number of losses, unless `forward` returns `(losses, total)`: a weighted mean divides
by the weights of the targets it counts (SoftmaxCrossEntropy with `weight` or `ignore_index`). A mean
over nothing (every target ignored) is 0 and so is its gradient, where PyTorch gives NaN: a batch of
padding alone then trains nothing instead of stopping `fit`.
"""

import inspect
from abc import abstractmethod

import numpy as np

from .. import checks
from .. import calls
from ..calls import Differentiable
from ..checks import as_float, as_numeric
from ..parameter import FLOAT_DTYPES

REDUCTIONS = ("mean", "sum", "none")


def loss_forward(forward):
    """Wrap a loss's `forward` into a call: its unreduced losses become the loss's value (`self.reduce`:
    mean, sum or none), and what it saved, with how it was reduced, waits for one `backward`."""

    def forward_call(self, pred, target):
        if self._saving is not None:  # super().forward(pred, target) inside this loss's own forward
            return forward(self, pred, target)
        state = calls.threads.state
        if not state.depth:  # a new pass, unless inside `inference()`
            if calls.inferring and state.inference:
                return self.reduce(forward(self, pred, target))[0]
            state.number += 1
            state.no_grad = {}
        self._saving = ()
        try:
            losses = forward(self, pred, target)
        finally:
            saved, self._saving = self._saving, None
        value, how = self.reduce(losses)
        self._keep((True, saved, how), state.number)
        return value

    return forward_call


def loss_backward(backward):
    """Wrap a loss's `backward`: take the most recent call, turn the gradient of the loss's value (None: 1)
    into `dloss`, the gradient of the unreduced losses (`self.unreduce`), and hand over what was saved."""

    def backward_call(self, dvalue=None):
        if self._call is not None:  # super().backward(dloss) inside this loss's own backward
            return backward(self, dvalue)
        pending = self._calls
        if not pending:
            raise self._before_forward()
        call = pending[-1]
        dloss = self.unreduce(dvalue, call[2])  # checked before the call is taken: a wrong dloss loses nothing
        pending.pop()
        self._call = call
        try:
            return backward(self, dloss)
        finally:
            self._call = None

    return backward_call


class Loss(Differentiable):
    """Abstract base: `forward(pred, target) -> losses` saves what `backward(dloss) -> dpred` needs.

    `loss(pred, target)` is `loss.forward(pred, target)` reduced as `reduction` says (see the module
    docstring); `loss.backward()` (or `loss.backward(dloss)` for `reduction="none"`) returns `dpred`.
    Values are saved and taken back as in a layer (`save_for_backward`, `pop_saved`), and each
    `backward` takes the most recent call.
    """

    reduction = "mean"  # what a subclass that does not call Loss.__init__ has

    def __init__(self, reduction="mean"):
        self.reduction = checks.choice(type(self).__name__, "reduction", reduction, REDUCTIONS)

    @classmethod
    def call_wrappers(cls):
        return loss_forward, loss_backward

    @abstractmethod
    def forward(self, pred, target):
        """Return the unreduced losses (or `(losses, total)` for a weighted mean); save what `backward` needs."""

    @abstractmethod
    def backward(self, dloss=None):
        """Return `dL/dpred`, shaped like `pred`; `dloss` is the gradient of the unreduced losses."""

    def reduce(self, losses):
        """`(value, how)`: the loss's value from `forward`'s `losses`, and what `unreduce` needs to go back."""
        if type(losses) is not np.ndarray and type(losses) is not tuple:  # a plain number: one loss
            losses = np.asarray(losses, dtype=float)
        losses, total = losses if type(losses) is tuple else (losses, losses.size)
        if self.reduction == "none":
            return losses, (None, losses.shape, losses.dtype)
        value = float(np.add.reduce(losses, axis=None))
        if self.reduction == "sum":
            return value, (1.0, (), losses.dtype)
        total = float(total)
        if total == 0:  # a mean over nothing: 0, and no gradient (see the module docstring)
            return 0.0, (0.0, (), losses.dtype)
        return value / total, (1.0 / total, (), losses.dtype)

    def unreduce(self, dvalue, how):
        """`dloss`, the gradient of the unreduced losses, from `dvalue`, the gradient of the loss's value."""
        scale, shape, dtype = how
        if scale is None:  # reduction "none": the caller gives the gradient of every loss
            if dvalue is None:
                raise TypeError(
                    f"{self!r}.backward needs dloss, the gradient of the unreduced losses (shape {shape}), "
                    "since reduction='none'"
                )
            if type(dvalue) is not np.ndarray or dvalue.shape != shape or dvalue.dtype != dtype:
                dvalue = as_numeric(dvalue, dtype, f"{self!r}.backward: dloss")
                if dvalue.shape != shape:
                    raise ValueError(
                        f"{self!r}.backward: dloss has shape {dvalue.shape}, expected {shape} (the shape of the losses)"
                    )
            return dvalue
        if dvalue is None:
            return scale
        dvalue = as_numeric(dvalue, dtype, f"{self!r}.backward: dloss")
        if dvalue.ndim:
            raise ValueError(
                f"{self!r}.backward: dloss must be a number (the loss is reduced by {self.reduction!r}), "
                f"got shape {dvalue.shape}"
            )
        return scale * float(dvalue)

    def _before_forward(self):
        return RuntimeError(f"{self!r}: backward called before the loss was computed; call loss(pred, target) first")

    def __repr__(self):
        """The class and every option that differs from its default: `MSE()`, `Huber(delta=0.5)`."""
        options = []
        for name, parameter in inspect.signature(type(self).__init__).parameters.items():
            value = getattr(self, name, parameter.default)
            if parameter.default is not inspect.Parameter.empty and not _same(value, parameter.default):
                shown = _shown(value)
                options.append(f"{name}={shown}")
        return f"{type(self).__name__}({', '.join(options)})"

    def pred_and_target(self, pred, target):
        """`pred` as a float array and `target` cast to its dtype; `ValueError` quoting both shapes."""
        if (
            type(pred) is np.ndarray and type(target) is np.ndarray and target.dtype is pred.dtype
            and (pred.dtype is FLOAT_DTYPES[1] or pred.dtype is FLOAT_DTYPES[0]) and pred.shape == target.shape
            and pred.size
        ):  # dtypes by identity: `in` and `==` compare them field by field, slow next to a small batch's loss
            return pred, target  # nothing to convert or report: the common case, checked cheaply
        pred = as_float(pred, f"{self!r}: pred")
        target = as_numeric(target, pred.dtype, f"{self!r}: target")
        if pred.size == 0:
            raise ValueError(f"{self!r}: pred is empty (shape {pred.shape}); a loss needs at least one value")
        if pred.shape != target.shape:
            raise ValueError(
                f"{self!r}: pred has shape {pred.shape} but target has shape {target.shape}; they must match "
                f"exactly (nothing is broadcast){_reshape_hint(pred.shape, target.shape)}"
            )
        return pred, target

    def weight_for(self, name, weight, pred):
        """The array `weight` (an option) in `pred`'s dtype, checked to broadcast to `pred`; 1.0 if None."""
        if weight is None:
            return 1.0
        try:
            fits = np.broadcast_shapes(weight.shape, pred.shape) == pred.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"{self!r}: {name} has shape {weight.shape}, which does not broadcast to pred's shape {pred.shape}"
            )
        return weight.astype(pred.dtype, copy=False)


def _shown(value):
    """An option as `repr` shows it: arrays as lists, or by their shape when large."""
    if not isinstance(value, np.ndarray):
        return repr(value)
    return repr(value.tolist()) if value.size <= 8 else f"<array of shape {value.shape}>"


def _same(value, default):
    if isinstance(value, np.ndarray) or isinstance(default, np.ndarray):
        return False
    return value == default


def clamped_log(p):
    """`max(log(p), -100)` elementwise, with `log(0)` never evaluated (so no warning)."""
    return np.maximum(np.log(p, out=np.full_like(p, -100.0), where=p > 0), -100.0)


def _reshape_hint(pred_shape, target_shape):
    if len(pred_shape) == 2 and pred_shape[1] == 1 and target_shape == pred_shape[:1]:
        return "; use target.reshape(-1, 1)"
    return ""
