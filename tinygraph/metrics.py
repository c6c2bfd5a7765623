"""Accuracy, the metric `fit` and `evaluate` report beside a classification loss, and how they log numbers."""

import numpy as np

from .losses.binary import BCEWithLogits, BinaryCrossEntropy
from .losses.softmax import SoftmaxCrossEntropy


def accuracy_for(loss):
    """The accuracy that goes with `loss`, a function `(pred, target) -> fraction`, or None."""
    if isinstance(loss, SoftmaxCrossEntropy):
        ignore_index = loss.ignore_index
        return lambda pred, target: categorical_accuracy(pred, target, ignore_index)
    if isinstance(loss, BinaryCrossEntropy):
        return binary_accuracy
    if isinstance(loss, BCEWithLogits):
        return logit_accuracy
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


def binary_accuracy(pred, target):
    """Fraction of elements on the right side of 0.5."""
    hits = (pred > 0.5) == (np.asarray(target) > 0.5)
    return np.count_nonzero(hits) / hits.size


def logit_accuracy(pred, target):
    """Fraction of elements on the right side of 0 (a logit of 0 is a probability of 0.5)."""
    hits = (pred > 0) == (np.asarray(target) > 0.5)
    return np.count_nonzero(hits) / hits.size
