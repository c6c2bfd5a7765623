"""`SoftmaxCrossEntropy`: cross-entropy of the softmax of logits, one loss per sample (or per position)."""

import math

import numpy as np

from .. import checks
from ..checks import as_array, as_float, as_numeric
from ..parameter import FLOAT_DTYPES
from .base import Loss


class SoftmaxCrossEntropy(Loss):
    """Cross-entropy of `softmax(pred)` over the class axis 1, on logits (as `torch.nn.CrossEntropyLoss`).

    `pred` is `(N, K)` logits, or `(N, K, d1, ...)` for one class per position (pixel, token).
    `target` is integer labels `(N,)` (or `(N, d1, ...)`) in `[0, K)`, or class probabilities shaped
    like `pred`. Options, as PyTorch's: `weight` `(K,)` weighs each class; a label equal to
    `ignore_index` counts for nothing; `label_smoothing` ε mixes the uniform distribution into the target.

    With `p = softmax(pred)`, `log p = pred - logsumexp(pred)` (both from `pred - max(pred)`, so
    nothing overflows) and the target distribution of each sample

        t = weight * ((1 - ε) * target + ε / K)      target: a label's one-hot row (zero if ignored),
                                                     or the probabilities given
        losses = -sum_k t_k log p_k                  dpred = (p * sum_k t_k - t) * dloss

    The mean over labels divides by the weights of the counted labels, `sum_i weight[label_i]` (their
    number without `weight`); over probabilities, by the number of samples (positions). Plain labels
    (no option) take a shortcut to the same numbers without building `t`:
    `losses = logsumexp(pred) - pred[label]`, `dpred = (p - onehot(label)) * dloss`.
    """

    def __init__(self, weight=None, ignore_index=None, label_smoothing=0.0, reduction="mean"):
        super().__init__(reduction)
        name = "SoftmaxCrossEntropy"
        self.weight = None if weight is None else checks.weights(name, "weight", weight)
        if self.weight is not None and self.weight.ndim != 1:
            raise ValueError(f"{name}: weight must be 1-D, one weight per class, got shape {self.weight.shape}")
        if ignore_index is not None:
            ignore_index = checks.integer(name, "ignore_index", ignore_index, minimum=-(2**31))
        self.ignore_index = ignore_index
        self.label_smoothing = checks.number(name, "label_smoothing", label_smoothing, low=0, high=1, high_open=False)

    def forward(self, pred, target):
        pred, target, by_label = self.logits_and_target(pred, target)
        shifted = pred - class_max(pred)
        p = np.exp(shifted)
        total = p.sum(axis=1, keepdims=True)
        p /= total
        if by_label and self.weight is None and self.ignore_index is None and not self.label_smoothing:
            at = label_positions(target, pred.shape[1])  # the shortcut: -log p[label] = log(total) - shifted[label]
            self.save_for_backward(p, at)
            return np.log(total[:, 0]) - shifted.take(at)
        counted = (target != self.ignore_index) if by_label and self.ignore_index is not None else None
        t = self.target_distribution(one_hot(target, counted, p) if by_label else target, counted)
        self.save_for_backward(p, t)
        losses = np.add.reduce(t * (np.log(total) - shifted), axis=1)  # sum_k t_k * -log p_k
        return (losses, self.counted_weight(target, counted)) if by_label else losses

    def backward(self, dloss):
        p, t = self.pop_saved()  # p is ours alone now, so the gradient is built in its place
        if t.dtype.kind == "i":  # the shortcut: t is where the labels are in p, counted flat
            p.flat[t] -= 1.0
        else:
            p *= t.sum(axis=1, keepdims=True)
            p -= t
        p *= dloss if type(dloss) is float else np.expand_dims(dloss, 1)  # a number, or one per sample for its classes
        return p

    def target_distribution(self, target, counted):
        """`t = weight * ((1 - ε) * target + ε / K)`, zero for an ignored label (`counted` False)."""
        epsilon, n_classes = self.label_smoothing, target.shape[1]
        t = (1 - epsilon) * target + epsilon / n_classes if epsilon else target
        if counted is not None:
            t = t * np.expand_dims(counted, 1)
        if self.weight is not None:
            t = t * along_classes(self.weight.astype(t.dtype, copy=False), t.ndim)
        return t

    def counted_weight(self, labels, counted):
        """What a mean over labels divides by: the weights of the counted labels (their number without weights)."""
        if self.weight is None:
            return labels.size if counted is None else np.count_nonzero(counted)
        weights = self.weight[labels if counted is None else np.where(counted, labels, 0)]
        return float(np.add.reduce(weights if counted is None else weights * counted, axis=None))

    def logits_and_target(self, pred, target):
        """`(pred, target, by_label)`: float logits, and intp labels (`by_label`) or probabilities in `pred`'s dtype."""
        if not (type(pred) is np.ndarray and pred.dtype in FLOAT_DTYPES and pred.ndim >= 2 and pred.size):
            pred = as_float(pred, f"{self!r}: pred")
            if pred.ndim < 2 or pred.size == 0:
                raise ValueError(
                    f"{self!r}: pred must be logits (n_batch, K) or (n_batch, K, d1, ...), not empty, got shape {pred.shape}"
                )
        if self.weight is not None and len(self.weight) != pred.shape[1]:
            raise ValueError(f"{self!r}: weight has {len(self.weight)} entries but pred has {pred.shape[1]} classes (axis 1)")
        if type(target) is not np.ndarray:
            target = as_array(target, f"{self!r}: target")
        if target.ndim == pred.ndim - 1:
            return pred, self.check_labels(pred, target), True
        if self.ignore_index is not None:
            raise ValueError(f"{self!r}: ignore_index applies to integer labels, not to class probabilities")
        pred, target = self.pred_and_target(pred, target)
        if not (target.min() >= 0 and target.max() <= 1):  # a negative "probability" would give a negative loss
            raise ValueError(f"{self!r}: target probabilities must lie in [0, 1], got values in "
                             f"[{target.min()}, {target.max()}]")
        return pred, target, False

    def check_labels(self, pred, labels):
        """`labels` as intp indices, or `ValueError`: wrong shape, not whole numbers, outside `[0, K)`."""
        n_classes = pred.shape[1]
        expected = pred.shape[:1] + pred.shape[2:]
        if labels.shape != expected:
            raise ValueError(
                f"{self!r}: pred has shape {pred.shape} but target has shape {labels.shape}; "
                f"labels must be pred's shape without the class axis 1, {expected}"
            )
        if labels.dtype.kind not in "iub":
            numbers = as_numeric(labels, np.float64, f"{self!r}: target labels")
            if not np.all(numbers == np.round(numbers)):
                raise ValueError(f"{self!r}: labels must be whole numbers, got {numbers[numbers != np.round(numbers)][:3]}")
            labels = numbers
        real = labels if self.ignore_index is None else labels[labels != self.ignore_index]
        if real.size and (real.min() < 0 or real.max() >= n_classes):
            ignored = "" if self.ignore_index is None else f" (or ignore_index={self.ignore_index})"
            raise ValueError(
                f"{self!r}: labels must lie in [0, {n_classes}){ignored} for {n_classes} classes, "
                f"got values in [{real.min()}, {real.max()}]"
            )
        return labels.astype(np.intp, copy=False)


def label_positions(labels, n_classes):
    """Where each label's logit is in the flattened logits `(N, K, d1, ...)`:
    `pred.take(label_positions(labels, K))` has the labels' shape `(N, d1, ...)`.

    Flat positions, because NumPy indexes with one integer array two to three times as fast as with a
    tuple of them (`pred[np.arange(N), labels]`), and a small batch's loss is mostly such indexing."""
    if labels.ndim == 1:  # (N,) labels of (N, K) logits, the common case: sample i starts at i·K
        return np.arange(0, len(labels) * n_classes, n_classes) + labels
    positions = math.prod(labels.shape[1:])  # a sample's logits are K of them at each of its positions
    starts = np.arange(0, len(labels) * n_classes * positions, n_classes * positions)
    starts = starts.reshape((-1,) + (1,) * (labels.ndim - 1))  # along the first axis of the labels
    return starts + labels * positions + np.arange(positions).reshape(labels.shape[1:])


def class_max(pred):
    """`pred.max(axis=1, keepdims=True)`, the shift that keeps `exp` finite, read at each argmax.

    The same numbers (NaN included), twice as fast on `(256, 10)` logits: NumPy reduces a short
    axis one row at a time, but has a loop for the argmax along it."""
    at = label_positions(pred.argmax(axis=1), pred.shape[1])
    return pred.take(at).reshape(pred.shape[:1] + (1,) + pred.shape[2:])


def one_hot(labels, counted, p):
    """Rows shaped like `p` with a 1 at each label (a zero row where `counted` is False)."""
    rows = np.zeros_like(p)
    at = label_positions(labels if counted is None else np.where(counted, labels, 0), p.shape[1])
    rows.flat[at] = 1 if counted is None else counted
    return rows


def along_classes(values, ndim):
    """`(K,)` values shaped to broadcast along axis 1 of an `ndim`-dimensional `(N, K, d1, ...)` array."""
    return values.reshape((-1,) + (1,) * (ndim - 2))
