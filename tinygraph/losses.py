"""Losses: `value = loss(pred, target)` returns a float; `loss.backward()` returns `dL/dpred`.

`pred` and `target` must have exactly the same shape (an `(n,)` target is never broadcast against
`(n, 1)` predictions); only `SoftmaxCrossEntropy` also takes integer labels of shape `(n_batch,)`.
A loss owns only its own derivative: it never folds in the derivative of the layer before it.
Each reduction matches the PyTorch loss named in its docstring.
"""

from abc import abstractmethod

import numpy as np

from .calls import Differentiable, loss_backward, loss_forward
from .checks import as_array, as_float, as_numeric
from .parameter import FLOAT_DTYPES


class Loss(Differentiable):
    """Abstract base: `forward(pred, target) -> float` saves what `backward() -> dpred` needs.

    `loss(pred, target)` is `loss.forward(pred, target)`. Values are saved and taken back as in a layer
    (`save_for_backward`, `pop_saved`), and each `backward` takes the most recent call.
    """

    @classmethod
    def call_wrappers(cls):
        return loss_forward, loss_backward

    @abstractmethod
    def forward(self, pred, target):
        """Return the loss as a Python float and save what `backward` needs."""

    @abstractmethod
    def backward(self):
        """Return `dL/dpred`, an array shaped like `pred`."""

    def _before_forward(self):
        return RuntimeError(f"{self!r}: backward called before the loss was computed; call loss(pred, target) first")

    def __repr__(self):
        return f"{type(self).__name__}()"

    def pred_and_target(self, pred, target):
        """`pred` as a float array and `target` cast to its dtype; `ValueError` quoting both shapes."""
        if (
            type(pred) is np.ndarray and type(target) is np.ndarray and pred.dtype in FLOAT_DTYPES
            and target.dtype == pred.dtype and pred.shape == target.shape and pred.size
        ):
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


class MSE(Loss):
    """Mean squared error, `mean((pred - target)**2)` over all elements (as `torch.nn.MSELoss`).

    backward: `dpred = 2 * (pred - target) / pred.size`.
    """

    def forward(self, pred, target):
        pred, target = self.pred_and_target(pred, target)
        diff = pred - target
        self.save_for_backward(diff)
        return float(np.vdot(diff, diff)) / diff.size  # vdot: the sum of squares, in one pass

    def backward(self):
        diff = self.pop_saved()
        return diff * (2.0 / diff.size)


class SumSquaredError(Loss):
    """The article's error, `0.5 * sum((pred - target)**2)`; backward: `dpred = pred - target`.

    With it, SGD at lr=1 is exactly the blog's update `synapses += l.T @ delta`.
    """

    def forward(self, pred, target):
        pred, target = self.pred_and_target(pred, target)
        diff = pred - target
        self.save_for_backward(diff)
        return 0.5 * float(np.vdot(diff, diff))

    def backward(self):
        return self.pop_saved()


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy on probabilities, mean over elements (as `torch.nn.BCELoss`).

    `L = -mean(t * log(p) + (1 - t) * log(1 - p))` with each log clamped at -100, so `p = 0` and `p = 1`
    give finite values. backward, as PyTorch: `dpred = (p - t) / max(p * (1 - p), 1e-12) / p.size`.
    `pred` and `target` must lie in [0, 1].
    """

    def forward(self, pred, target):
        pred, target = self.pred_and_target(pred, target)
        for name, values in (("pred", pred), ("target", target)):
            if values.size and not (values.min() >= 0 and values.max() <= 1):
                raise ValueError(
                    f"{self!r}: {name} must lie in [0, 1], got values in [{values.min()}, {values.max()}]"
                    + (" (apply Sigmoid first, or use SoftmaxCrossEntropy on logits)" if name == "pred" else "")
                )
        log_p, log_1mp = clamped_log(pred), clamped_log(1 - pred)
        self.save_for_backward(pred, target)
        return float(-np.mean(target * log_p + (1 - target) * log_1mp))

    EPSILON = float(np.float32(1e-12))  # PyTorch's constant is a C float, 9.99999996e-13

    def backward(self):
        pred, target = self.pop_saved()
        return (pred - target) / np.maximum(pred * (1 - pred), self.EPSILON) / pred.size


class SoftmaxCrossEntropy(Loss):
    """Cross-entropy of `softmax(pred)` on logits, mean over the batch (as `torch.nn.CrossEntropyLoss`).

    `pred` is `(n_batch, K)` logits. `target` is either integer labels `(n_batch,)` in `[0, K)` or class
    probabilities `(n_batch, K)`. With `p = softmax(pred)` and `log p = pred - logsumexp(pred)`, both
    computed from `pred - max(pred)` so that nothing overflows:
    `L = -mean_i sum_k t_ik log p_ik`; backward: `dpred = (p * sum_k t_ik - t) / n_batch`, which is
    `(p - onehot(labels)) / n_batch` for labels: the fused gradient, no one-hot matrix is built.
    """

    def forward(self, pred, target):
        if not (type(pred) is np.ndarray and pred.dtype in FLOAT_DTYPES and pred.ndim == 2 and pred.size):
            pred = as_float(pred, f"{self!r}: pred")
            if pred.ndim != 2 or pred.size == 0:
                raise ValueError(f"{self!r}: pred must be 2-D logits (n_batch, K), not empty, got shape {pred.shape}")
        if type(target) is not np.ndarray:
            target = as_array(target, f"{self!r}: target")
        if target.ndim == 1:
            target = self.check_labels(pred, target)
        else:
            pred, target = self.pred_and_target(pred, target)
            if not (target.min() >= 0 and target.max() <= 1):  # a negative "probability" would give a negative loss
                raise ValueError(f"{self!r}: target probabilities must lie in [0, 1], got values in "
                                 f"[{target.min()}, {target.max()}]")
        n_batch = len(pred)
        shifted = pred - pred.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        total = p.sum(axis=1, keepdims=True)
        p /= total
        if target.ndim == 1:  # -log p[label] = log(total) - shifted[label], summed over the batch
            value = np.add.reduce(np.log(total), axis=None) - np.add.reduce(shifted[np.arange(n_batch), target])
        else:
            value = -np.add.reduce(target * (shifted - np.log(total)), axis=None)
        self.save_for_backward(p, target)
        return float(value) / n_batch

    def backward(self):
        p, target = self.pop_saved()  # p is ours alone now, so the gradient is built in its place
        n_batch = len(p)
        if target.ndim == 1:
            p[np.arange(n_batch), target] -= 1.0
        else:
            p *= target.sum(axis=1, keepdims=True)
            p -= target
        p *= 1.0 / n_batch
        return p

    def check_labels(self, pred, labels):
        """`labels` as intp indices, or `ValueError`: wrong shape, not whole numbers, outside `[0, K)`."""
        n_batch, n_classes = pred.shape
        if labels.shape != (n_batch,):
            raise ValueError(
                f"{self!r}: pred has shape {pred.shape} but target has shape {labels.shape}; "
                f"labels must be (n_batch,) = ({n_batch},)"
            )
        if labels.dtype.kind not in "iub":
            numbers = as_numeric(labels, np.float64, f"{self!r}: target labels")
            if not np.all(numbers == np.round(numbers)):
                raise ValueError(f"{self!r}: labels must be whole numbers, got {numbers[numbers != np.round(numbers)][:3]}")
            labels = numbers
        if labels.min() < 0 or labels.max() >= n_classes:
            raise ValueError(
                f"{self!r}: labels must lie in [0, {n_classes}) for {n_classes} classes, "
                f"got values in [{labels.min()}, {labels.max()}]"
            )
        return labels.astype(np.intp, copy=False)


def clamped_log(p):
    """`max(log(p), -100)` elementwise, with `log(0)` never evaluated (so no warning)."""
    return np.maximum(np.log(p, out=np.full_like(p, -100.0), where=p > 0), -100.0)


def _reshape_hint(pred_shape, target_shape):
    if len(pred_shape) == 2 and pred_shape[1] == 1 and target_shape == pred_shape[:1]:
        return "; use target.reshape(-1, 1)"
    return ""
