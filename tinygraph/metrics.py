"""Accuracy: `accuracy(model, X, labels)`, the one a classification loss brings to `fit` and `evaluate`, and
how they log numbers (`plain`)."""

import numpy as np

from . import checks
from .data import check_data
from .losses.binary import BCEWithLogits, BinaryCrossEntropy
from .losses.softmax import SoftmaxCrossEntropy


def accuracy(model, X, labels, *, batch_size=None, threshold=0.5):
    """The fraction of samples whose predicted class is the label, as a float: what
    `(model.predict(X).argmax(axis=1) == labels).mean()` says, with the checks a user would forget.

    The model predicts `X` (`(n, ...)`, a tuple for several inputs) in eval mode, in batches of
    `batch_size`. Its class for a sample is the argmax of its output row `(n, K)`, the scores of K >= 2
    classes (logits or probabilities: the argmax is the same); `labels` are class numbers `(n,)` in
    `[0, K)`, or rows shaped like the output (one-hot or probabilities: their argmax). An output of one
    column, `(n, 1)`, is class 1 above `threshold`: 0.5 for a probability (a model ending in `Sigmoid`,
    trained with `BinaryCrossEntropy`), 0 for a logit (`BCEWithLogits`); `labels` are then 0 or 1, `(n,)` or
    `(n, 1)`. Outputs `(n, K, d1, ...)` with labels `(n, d1, ...)` count every position.

    >>> import tinygraph as tg
    >>> net = tg.Sequential(tg.Dense(2, 2, init="zeros"))
    >>> net[0].weight.value[...] = np.eye(2)                      # class = the larger feature
    >>> X, labels = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0]]), np.array([0, 1, 1])
    >>> net.predict(X).argmax(axis=1), accuracy(net, X, labels)
    (array([0, 1, 0]), 0.6666666666666666)
    """
    inputs, labels = check_data(model, X, labels, "X", "labels", owner="accuracy")
    threshold = checks.number("accuracy", "threshold", threshold)
    pred = model.predict(inputs if len(inputs) > 1 else inputs[0], batch_size=batch_size)
    if isinstance(pred, tuple) or pred.ndim < 2:
        got = f"{len(pred)} outputs" if isinstance(pred, tuple) else f"an output of shape {pred.shape}"
        raise ValueError(f"accuracy: the model must give one output with a class axis, (n, K, ...), got {got}")
    if pred.shape[1] == 1:
        if labels.shape not in (pred.shape[:1] + pred.shape[2:], pred.shape) or not np.isin(labels, (0, 1)).all():
            raise ValueError(f"accuracy: for a model of one output column, {pred.shape}, labels must be 0 or 1, of shape "
                             f"{pred.shape[:1] + pred.shape[2:]} or {pred.shape}; got shape {labels.shape}, values {_span(labels)}")
        return float(binary_accuracy(pred, labels.reshape(pred.shape), threshold))
    if labels.shape != pred.shape:
        if labels.shape != pred.shape[:1] + pred.shape[2:]:
            raise ValueError(f"accuracy: the model's output has shape {pred.shape}, so labels must have shape "
                             f"{pred.shape[:1] + pred.shape[2:]} (class numbers) or {pred.shape} (rows); got {labels.shape}")
        if labels.dtype.kind not in "iu":
            raise TypeError(f"accuracy: labels must be integer class numbers, got dtype {labels.dtype} "
                            "(labels.astype(int) if they are whole numbers)")
        if labels.size and (labels.min() < 0 or labels.max() >= pred.shape[1]):
            raise ValueError(f"accuracy: labels must lie in [0, {pred.shape[1]}) for the model's {pred.shape[1]} "
                             f"classes, got values {_span(labels)}")
    return float(categorical_accuracy(pred, labels))


def _span(values):
    return f"in [{values.min():g}, {values.max():g}]"


def accuracy_for(loss):
    """The accuracy that goes with `loss`, a function `(pred, target) -> fraction`, or None."""
    if isinstance(loss, SoftmaxCrossEntropy):
        ignore_index = loss.ignore_index
        return lambda pred, target: categorical_accuracy(pred, target, ignore_index)
    if isinstance(loss, BinaryCrossEntropy):
        return binary_accuracy
    if isinstance(loss, BCEWithLogits):
        return lambda pred, target: binary_accuracy(pred, target, threshold=0.0)  # a logit of 0 is a probability of 0.5
    return None


def plain(results):
    """`results` (a dict of numbers) with every value a plain Python `float`: what `fit` logs and `evaluate`
    returns, so that no `np.float64` shows up in a History, a callback's logs or a JSON dump."""
    return {name: float(value) for name, value in results.items()}


def categorical_accuracy(pred, target, ignore_index=None):
    """Fraction of samples (or positions) whose largest logit, along the class axis 1, is the label (or the
    largest target probability); labels equal to `ignore_index` are not counted (no label counted: 0)."""
    target = np.asarray(target)
    labels = target.argmax(axis=1) if target.ndim == pred.ndim else target
    hits = pred.argmax(axis=1) == labels
    if ignore_index is not None and target.ndim != pred.ndim:
        counted = labels != ignore_index
        return np.count_nonzero(hits & counted) / max(np.count_nonzero(counted), 1)
    return np.count_nonzero(hits) / hits.size


def binary_accuracy(pred, target, threshold=0.5):
    """Fraction of elements on the target's side of `threshold` (targets: on their side of 0.5)."""
    hits = (pred > threshold) == (np.asarray(target) > 0.5)
    return np.count_nonzero(hits) / hits.size
