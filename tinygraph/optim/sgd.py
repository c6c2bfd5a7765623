"""`SGD`: stochastic gradient descent with momentum, dampening, Nesterov and weight decay (`torch.optim.SGD`).

Its update runs for every parameter at every step of a training loop, so it allocates nothing it
does not have to: momentum is kept in place, and a term that is zero (no weight decay, no dampening)
costs no arithmetic.
"""

from .. import checks
from .base import Optimizer, non_negative, unit_interval


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay.

    Per parameter `p` with gradient `g`, as `torch.optim.SGD`:

        g = g + weight_decay * p
        buf = g                                        (first step)
        buf = momentum * buf + (1 - dampening) * g     (later steps)
        g = g + momentum * buf  if nesterov  else  buf      (only when momentum > 0)
        p = p - lr * g
    """

    hyperparameters = Optimizer.hyperparameters | {
        "momentum": non_negative, "nesterov": checks.flag, "weight_decay": non_negative, "dampening": unit_interval,
    }

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0, dampening=0.0, maximize=False):
        super().__init__(params, lr, maximize)
        self.momentum, self.nesterov, self.weight_decay, self.dampening = momentum, nesterov, weight_decay, dampening
        if self.nesterov and (self.momentum == 0 or self.dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening 0")

    def update(self, p, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * p.value
        if self.momentum:
            buf = state.get("momentum")
            if buf is None:
                buf = state["momentum"] = g.copy()
            else:
                buf *= self.momentum
                buf += (1 - self.dampening) * g if self.dampening else g
            g = g + self.momentum * buf if self.nesterov else buf
        p.value -= self.lr * g
