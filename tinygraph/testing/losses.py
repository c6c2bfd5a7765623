"""Hypothesis strategies for losses: every built-in loss with random options, and inputs it accepts.

`loss_cases()` draws `(loss, pred, target)`. Inputs stay where finite differences are meaningful:
probabilities in [0.05, 0.95] (BCE's clamps are far away), logits in [-5, 5], and differences
`pred - target` of at least 0.1 in size (off the kink of L1 at 0; Huber's kink at `delta` is only in
its second derivative, which central differences do not mind).
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ..losses import L1, MSE, REDUCTIONS, BCEWithLogits, BinaryCrossEntropy, Huber, SoftmaxCrossEntropy, SumSquaredError
from .strategies import values

LOSSES = (MSE, SumSquaredError, L1, Huber, BinaryCrossEntropy, BCEWithLogits, SoftmaxCrossEntropy)


def between(shape, low, high):
    """float64 arrays of `shape` with entries in `[low, high]`."""
    return arrays(np.float64, shape, elements=values(low, high))


def maybe(draw, strategy):
    """`draw(strategy)` or None, each half of the time."""
    return draw(strategy) if draw(st.booleans()) else None


@st.composite
def loss_cases(draw, kinds=None):
    """`(loss, pred, target)`: one of `kinds` (default: every built-in loss, `LOSSES`; a subclass of one
    is made as its base is) with random options (`reduction` and the loss's own), and an input it
    accepts: `(n, m)` for the elementwise losses, `(n, K)` or `(n, K, d)` logits for
    `SoftmaxCrossEntropy` with labels (some equal to `ignore_index`) or class probabilities."""
    kind = draw(st.sampled_from(LOSSES if kinds is None else kinds))
    reduction = draw(st.sampled_from(REDUCTIONS))
    n_batch, width = draw(st.integers(1, 5)), draw(st.integers(1, 4))
    shape = (n_batch, width)
    if issubclass(kind, SoftmaxCrossEntropy):
        return draw(softmax_case(kind, reduction))
    if issubclass(kind, (BinaryCrossEntropy, BCEWithLogits)):
        weight_shape = draw(st.sampled_from([shape, (width,), (1, width)]))
        weight = maybe(draw, between(weight_shape, 0.1, 2.0))
        target = draw(between(shape, 0.0, 1.0))
        if issubclass(kind, BinaryCrossEntropy):
            return kind(weight, reduction), draw(between(shape, 0.05, 0.95)), target
        pos_weight = maybe(draw, between((width,), 0.1, 4.0))
        return kind(weight, pos_weight, reduction), draw(between(shape, -5.0, 5.0)), target
    pred = draw(between(shape, -3.0, 3.0))
    diff = draw(arrays(np.float64, shape, elements=values(-2.0, 2.0, off_zero=True)))
    loss = kind(draw(st.floats(0.2, 3.0)), reduction) if issubclass(kind, Huber) else kind(reduction=reduction)
    return loss, pred, pred - diff


@st.composite
def softmax_case(draw, kind, reduction):
    n_batch, n_classes = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    positions = draw(st.sampled_from([(), (draw(st.integers(1, 3)),)]))
    logits = draw(between((n_batch, n_classes, *positions), -5.0, 5.0))
    weight = maybe(draw, between((n_classes,), 0.1, 3.0))
    smoothing = draw(st.sampled_from([0.0, 0.0, 0.1, 0.5, 1.0]))
    label_shape = (n_batch, *positions)
    if draw(st.booleans()):  # class probabilities
        probabilities = draw(between((n_batch, n_classes, *positions), 0.01, 1.0))
        target = probabilities / probabilities.sum(axis=1, keepdims=True)
        return kind(weight, None, smoothing, reduction), logits, target
    ignore_index = draw(st.sampled_from([None, -100, draw(st.integers(0, n_classes - 1))]))
    labels = draw(arrays(np.int64, label_shape, elements=st.integers(0, n_classes - 1)))
    if ignore_index is not None:
        ignored = draw(arrays(np.bool_, label_shape))
        labels[ignored] = ignore_index
    return kind(weight, ignore_index, smoothing, reduction), logits, labels
