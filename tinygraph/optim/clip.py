"""`clip_grad_norm`: scale every gradient down together when their joint norm is too large
(`torch.nn.utils.clip_grad_norm_`). Call it between `model.backward(...)` and `optimizer.step()`."""

import numpy as np

from .. import checks
from .base import parameter_list


def clip_grad_norm(params, max_norm):
    """Scale the gradients of `params` in place so that their joint 2-norm is at most `max_norm`; return
    the norm they had before, a float.

    `total_norm = sqrt(sum of every squared gradient element)`; if it is above `max_norm`, every gradient
    is multiplied by `max_norm / (total_norm + 1e-6)`, as PyTorch does (so the direction is kept and
    the norm lands just below `max_norm`). Parameters without a gradient are left alone. A NaN or Inf
    gradient gives a NaN or Inf norm: it is returned and the gradients are left as they are, to be
    checked by the caller (PyTorch would scale them into NaN).

    >>> import numpy as np, tinygraph as tg
    >>> p = tg.Parameter([0.0, 0.0])
    >>> p.grad += np.array([3.0, 4.0])
    >>> tg.clip_grad_norm([p], max_norm=1.0), p.grad.round(6)
    (5.0, array([0.6, 0.8]))
    """
    params = parameter_list("clip_grad_norm", params)
    max_norm = checks.number("clip_grad_norm", "max_norm", max_norm, low=0, low_open=True)
    grads = [p.grad for p in params if p.has_grad]
    total_norm = float(np.linalg.norm([np.linalg.norm(g) for g in grads])) if grads else 0.0
    scale = max_norm / (total_norm + 1e-6)
    if scale < 1 and np.isfinite(total_norm):  # as PyTorch: min(scale, 1), and a factor of 1 changes nothing
        for p in params:
            if p.has_grad:
                p.grad *= scale
    return total_norm
