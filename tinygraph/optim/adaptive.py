"""`RMSprop` and `Adagrad`: a step per element scaled by a running size of its gradients
(`torch.optim.RMSprop`, `torch.optim.Adagrad`)."""

import numpy as np

from .. import checks
from .base import Optimizer, non_negative, unit_interval, zeros_at_first


class RMSprop(Optimizer):
    """RMSprop (Hinton), with optional momentum, centering and L2 weight decay, as `torch.optim.RMSprop`.

    Per parameter `p` with gradient `g`:

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g**2                 (a running mean of g**2, from 0)
        centered:  g_avg = alpha * g_avg + (1 - alpha) * g,  size = sqrt(v - g_avg**2) + eps
        otherwise: size = sqrt(v) + eps
        momentum > 0: buf = momentum * buf + g / size (buf from 0),  p = p - lr * buf
        otherwise:    p = p - lr * g / size
    """

    hyperparameters = Optimizer.hyperparameters | {
        "alpha": unit_interval, "eps": non_negative, "momentum": non_negative, "weight_decay": non_negative,
        "centered": checks.flag,
    }

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, momentum=0.0, weight_decay=0.0, centered=False,
                 maximize=False):
        super().__init__(params, lr, maximize)
        self.alpha, self.eps, self.momentum = alpha, eps, momentum
        self.weight_decay, self.centered = weight_decay, centered

    def update(self, p, g, state):
        alpha = self.alpha
        if self.weight_decay:
            g = g + self.weight_decay * p.value
        v = zeros_at_first(state, "v", p.value)
        v *= alpha
        v += (1 - alpha) * g * g
        if self.centered:
            g_avg = zeros_at_first(state, "g_avg", p.value)
            g_avg *= alpha
            g_avg += (1 - alpha) * g
            size = np.sqrt(v - g_avg * g_avg) + self.eps
        else:
            size = np.sqrt(v) + self.eps
        if self.momentum:
            buf = zeros_at_first(state, "momentum", p.value)
            buf *= self.momentum
            buf += g / size
            p.value -= self.lr * buf
        else:
            p.value -= self.lr * g / size


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), with L2 weight decay, as `torch.optim.Adagrad` (no lr decay, sums from 0).

    Per parameter `p` with gradient `g`:

        g = g + weight_decay * p
        sum = sum + g**2                       (every squared gradient so far)
        p = p - lr * g / (sqrt(sum) + eps)
    """

    hyperparameters = Optimizer.hyperparameters | {"eps": non_negative, "weight_decay": non_negative}

    def __init__(self, params, lr=1e-2, eps=1e-10, weight_decay=0.0, maximize=False):
        super().__init__(params, lr, maximize)
        self.eps, self.weight_decay = eps, weight_decay

    def update(self, p, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * p.value
        total = zeros_at_first(state, "sum", p.value)
        total += g * g
        p.value -= self.lr * g / (np.sqrt(total) + self.eps)
