"""Binary cross-entropy, one loss per element: on probabilities (`BinaryCrossEntropy`, after a Sigmoid)
and on logits (`BCEWithLogits`, the sigmoid inside the loss, stable for any logit).

`weight` rescales each element's loss and broadcasts to `pred`'s shape (a `(n_out,)` weight scales
each output column). As in PyTorch, the mean is over the elements, `sum(losses) / pred.size`, with
or without weights: it does not divide by the sum of the weights.
"""

import numpy as np

from .. import checks
from .base import Loss, clamped_log


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy on probabilities `p` with targets `t` (as `torch.nn.BCELoss`):

        losses = -weight * (t * log(p) + (1 - t) * log(1 - p))     (each log clamped at -100)
        dpred = weight * (p - t) / max(p * (1 - p), 1e-12) * dloss

    The clamp makes `p = 0` and `p = 1` finite, as in PyTorch. `pred` and `target` must lie in [0, 1].
    """

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = None if weight is None else checks.weights("BinaryCrossEntropy", "weight", weight)

    def forward(self, pred, target):
        pred, target = self.pred_and_target(pred, target)
        check_fractions(self, pred, target, hint=" (apply Sigmoid first, or use BCEWithLogits on logits)")
        weight = self.weight_for("weight", self.weight, pred)
        self.save_for_backward(pred, target, weight)
        return -weight * (target * clamped_log(pred) + (1 - target) * clamped_log(1 - pred))

    EPSILON = float(np.float32(1e-12))  # PyTorch's constant is a C float, 9.99999996e-13

    def backward(self, dloss):
        pred, target, weight = self.pop_saved()
        return weight * dloss * (pred - target) / np.maximum(pred * (1 - pred), self.EPSILON)


class BCEWithLogits(Loss):
    """Binary cross-entropy on logits `x` with targets `t` (as `torch.nn.BCEWithLogitsLoss`):

        losses = weight * ((1 - t) * x - (1 + (pos_weight - 1) * t) * log_sigmoid(x))
        dpred = weight * ((1 + (pos_weight - 1) * t) * sigmoid(x) - pos_weight * t) * dloss

    which is `-weight * (pos_weight * t * log(sigmoid(x)) + (1 - t) * log(1 - sigmoid(x)))`: `pos_weight`
    (broadcast to `pred`, usually one per output column) weighs the positive targets, e.g.
    `n_negative / n_positive` for rare positives. `log_sigmoid(x) = min(x, 0) - log(1 + exp(-|x|))`
    never overflows, so the loss and its gradient are finite and quiet even at `x = ±1e4`. Like
    `SoftmaxCrossEntropy`, it takes logits: the model ends without a Sigmoid. `target` must lie in [0, 1].
    """

    def __init__(self, weight=None, pos_weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = None if weight is None else checks.weights("BCEWithLogits", "weight", weight)
        self.pos_weight = None if pos_weight is None else checks.weights("BCEWithLogits", "pos_weight", pos_weight)

    def forward(self, pred, target):
        x, t = self.pred_and_target(pred, target)
        check_fractions(self, None, t)
        weight, pos_weight = self.weight_for("weight", self.weight, x), self.weight_for("pos_weight", self.pos_weight, x)
        log_sigmoid = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
        log_weight = 1 + (pos_weight - 1) * t
        self.save_for_backward(t, np.exp(log_sigmoid), weight, pos_weight, log_weight)
        return weight * ((1 - t) * x - log_weight * log_sigmoid)

    def backward(self, dloss):
        t, sigmoid, weight, pos_weight, log_weight = self.pop_saved()
        return weight * dloss * (log_weight * sigmoid - pos_weight * t)


def check_fractions(loss, pred, target, hint=""):
    """`ValueError` unless `pred` (if given) and `target` lie in [0, 1]."""
    for name, values in (("pred", pred), ("target", target)):
        if values is not None and not (values.min() >= 0 and values.max() <= 1):
            raise ValueError(
                f"{loss!r}: {name} must lie in [0, 1], got values in [{values.min()}, {values.max()}]"
                + (hint if name == "pred" else "")
            )
