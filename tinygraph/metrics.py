"""Accuracy, the metric `fit` and `evaluate` report beside a classification loss."""

import numpy as np

from .losses import BinaryCrossEntropy, SoftmaxCrossEntropy


def accuracy_for(loss):
    """The accuracy that goes with `loss`, a function `(pred, target) -> fraction`, or None."""
    if isinstance(loss, SoftmaxCrossEntropy):
        return categorical_accuracy
    if isinstance(loss, BinaryCrossEntropy):
        return binary_accuracy
    return None


def categorical_accuracy(pred, target):
    """Fraction of rows whose largest logit is the label (or the largest target probability)."""
    target = np.asarray(target)
    labels = target.argmax(axis=1) if target.ndim == 2 else target
    return np.count_nonzero(pred.argmax(axis=1) == labels) / len(labels)


def binary_accuracy(pred, target):
    """Fraction of elements on the right side of 0.5."""
    hits = (pred > 0.5) == (np.asarray(target) > 0.5)
    return np.count_nonzero(hits) / hits.size
