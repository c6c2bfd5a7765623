"""Optimizers, each its update rule written out, as the `torch.optim` class of the same name, and
`clip_grad_norm`.

- `base.py`: `Optimizer` (parameters, checked hyperparameters, `step`, `zero_grad`, `maximize`);
- `sgd.py`: `SGD`; `adam.py`: `Adam`, `AdamW`; `adaptive.py`: `RMSprop`, `Adagrad`;
- `clip.py`: `clip_grad_norm`.
"""

from .adam import Adam, AdamW
from .adaptive import Adagrad, RMSprop
from .base import Optimizer
from .clip import clip_grad_norm
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "clip_grad_norm"]
