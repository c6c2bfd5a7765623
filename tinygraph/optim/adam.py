"""`Adam` and `AdamW`: moments of the gradient, bias-corrected (`torch.optim.Adam`, `torch.optim.AdamW`).

The two differ only in their weight decay: Adam adds `weight_decay * p` to the gradient (L2), AdamW
shrinks `p` itself before the step ("decoupled" weight decay, Loshchilov & Hutter), so the moments
never see it.
"""

import numpy as np

from .. import checks
from .base import Optimizer, fraction, non_negative, zeros_at_first


def pair_of_betas(owner, name, value):
    try:
        beta1, beta2 = value
    except (TypeError, ValueError):
        raise ValueError(f"{type(owner).__name__}: betas must be a pair (beta1, beta2), got {value!r:.80}") from None
    return fraction(owner, "beta1", beta1), fraction(owner, "beta2", beta2)


class Adam(Optimizer):
    """Adam (Kingma & Ba), with L2 weight decay added to the gradient, as `torch.optim.Adam`.

    Per parameter `p` with gradient `g`, at its step `t = 1, 2, ...`:

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g           v = beta2 * v + (1 - beta2) * g**2
        v = max(v_max, v)  (the largest so far, kept as v_max)             only with amsgrad
        m_hat = m / (1 - beta1**t)                v_hat = v / (1 - beta2**t)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)
    """

    hyperparameters = Optimizer.hyperparameters | {
        "betas": pair_of_betas, "eps": non_negative, "weight_decay": non_negative, "amsgrad": checks.flag,
    }

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, maximize=False):
        super().__init__(params, lr, maximize)
        self.betas, self.eps, self.weight_decay, self.amsgrad = betas, eps, weight_decay, amsgrad

    def update(self, p, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * p.value
        self.moment_step(p, g, state)

    def moment_step(self, p, g, state):
        """The Adam step proper, from the moments of `g` (what Adam and AdamW share)."""
        beta1, beta2 = self.betas
        m, v = zeros_at_first(state, "m", p.value), zeros_at_first(state, "v", p.value)
        t = state["t"] = state.get("t", 0) + 1
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        if self.amsgrad:  # normalise by the largest second moment so far, so a step never grows as v shrinks
            v = state["v_max"] = np.maximum(state.get("v_max", v), v)
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        p.value -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as `torch.optim.AdamW`.

    Per parameter `p` with gradient `g`: first `p = p - lr * weight_decay * p`, then Adam's step on `g`
    itself (see `Adam`; amsgrad as there).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)

    def update(self, p, g, state):
        if self.weight_decay:
            p.value *= 1 - self.lr * self.weight_decay
        self.moment_step(p, g, state)
