"""Losses: `value = loss(pred, target)`; `loss.backward()` returns `dL/dpred`.

`pred` and `target` must have exactly the same shape (an `(n,)` target is never broadcast against
`(n, 1)` predictions); only `SoftmaxCrossEntropy` also takes integer labels (`pred`'s shape without
the class axis 1). A loss owns only its own derivative: it never folds in the derivative of the layer
before it (the two losses on logits, `SoftmaxCrossEntropy` and `BCEWithLogits`, take logits as their
input). Every loss takes `reduction="mean" | "sum" | "none"`, handled once in `base.Loss`; each
matches the PyTorch loss named in its docstring, options included.

- `base.py`: `Loss` and the reductions; `regression.py`: `MSE`, `SumSquaredError`, `L1`, `Huber`;
  `binary.py`: `BinaryCrossEntropy`, `BCEWithLogits`; `softmax.py`: `SoftmaxCrossEntropy`.
"""

from .base import REDUCTIONS, Loss
from .binary import BCEWithLogits, BinaryCrossEntropy
from .regression import L1, MSE, Huber, SumSquaredError
from .softmax import SoftmaxCrossEntropy

__all__ = [
    "BCEWithLogits", "BinaryCrossEntropy", "Huber", "L1", "Loss", "MSE", "REDUCTIONS", "SoftmaxCrossEntropy",
    "SumSquaredError",
]
