"""Losses of a prediction against a target of the same shape, one loss per element: `MSE`,
`SumSquaredError`, `L1` and `Huber`, each as the PyTorch loss named in its docstring.

Each forward returns the unreduced losses and each backward multiplies their derivative by `dloss`
(see `tinygraph.losses.base` for how `reduction` turns them into a value and back).
"""

import numpy as np

from .. import checks
from .base import Loss


class MSE(Loss):
    """Squared error, `losses = (pred - target)**2`, mean over all elements by default (as `torch.nn.MSELoss`).

    backward: `dpred = 2 * (pred - target) * dloss`.
    """

    def forward(self, pred, target):
        pred, target = self.pred_and_target(pred, target)
        diff = pred - target
        self.save_for_backward(diff)
        return diff * diff

    def backward(self, dloss):
        diff = self.pop_saved()
        return 2 * dloss * diff


class SumSquaredError(Loss):
    """The article's error, `losses = 0.5 * (pred - target)**2`, summed by default; `dpred = (pred - target) * dloss`.

    With it, SGD at lr=1 is exactly the blog's update `synapses += l.T @ delta`.
    """

    def __init__(self, reduction="sum"):
        super().__init__(reduction)

    def forward(self, pred, target):
        pred, target = self.pred_and_target(pred, target)
        diff = pred - target
        self.save_for_backward(diff)
        return 0.5 * diff * diff

    def backward(self, dloss):
        diff = self.pop_saved()
        return dloss * diff


class L1(Loss):
    """Absolute error, `losses = |pred - target|`, mean by default (as `torch.nn.L1Loss`).

    backward: `dpred = sign(pred - target) * dloss` (0 where `pred == target`, as in PyTorch).
    """

    def forward(self, pred, target):
        pred, target = self.pred_and_target(pred, target)
        diff = pred - target
        self.save_for_backward(diff)
        return np.abs(diff)

    def backward(self, dloss):
        diff = self.pop_saved()
        return dloss * np.sign(diff)


class Huber(Loss):
    """Squared near 0, absolute beyond `delta` (as `torch.nn.HuberLoss`): with `d = pred - target`,

        losses = 0.5 * d**2                    where |d| < delta
                 delta * (|d| - 0.5 * delta)   elsewhere
        dpred = clip(d, -delta, delta) * dloss
    """

    def __init__(self, delta=1.0, reduction="mean"):
        super().__init__(reduction)
        self.delta = checks.number("Huber", "delta", delta, low=0, low_open=True)

    def forward(self, pred, target):
        pred, target = self.pred_and_target(pred, target)
        diff = pred - target
        self.save_for_backward(diff)
        size = np.abs(diff)
        return np.where(size < self.delta, 0.5 * diff * diff, self.delta * (size - 0.5 * self.delta))

    def backward(self, dloss):
        diff = self.pop_saved()
        return dloss * np.clip(diff, -self.delta, self.delta)
