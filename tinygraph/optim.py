"""Optimizers: `SGD` and `Adam`, each its update rule written out, as `torch.optim.SGD` and `torch.optim.Adam`.

An optimizer holds the `Parameter` objects it was given. `step()` updates each one's `.value` in place
from its `.grad`, by the rule in the optimizer's `update(p, g, state)`; `state` is that parameter's own
dict (momentum buffers, moments, step count), made on its first update, in the parameter's dtype.
As in PyTorch, a parameter that has no gradient (nothing added into it since `zero_grad()`) is left
alone: no weight decay, no momentum; a step in which no parameter has one warns, since it is nearly
always a mistake (an optimizer built on another model's parameters). `zero_grad()` clears them.

Hyperparameters are checked whenever they are set, so `opt.lr = 0.01` between epochs is as safe as
the constructor (`opt.lr = float("nan")` is a `ValueError`).
"""

import warnings
from abc import ABC, abstractmethod

import numpy as np

from . import checks
from .layer import Layer
from .parameter import Parameter


def positive(owner, name, value):
    return checks.number(owner, name, value, low=0, low_open=True)


def non_negative(owner, name, value):
    return checks.number(owner, name, value, low=0)


def fraction(owner, name, value):
    return checks.number(owner, name, value, low=0, high=1)


class Optimizer(ABC):
    """Abstract base: the parameter list, checked hyperparameters, `step()` and `zero_grad()`.

    A subclass lists its hyperparameters in `hyperparameters` (`{name: check}`) and writes `update`.
    """

    hyperparameters = {"lr": positive}

    def __init__(self, params, lr):
        if isinstance(params, Layer):
            raise TypeError(f"{type(self).__name__}: pass the model's parameters, model.parameters(), not the model")
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list (did the model build its layers?)")
        seen = set()
        for i, p in enumerate(params):
            if not isinstance(p, Parameter):
                raise TypeError(
                    f"{type(self).__name__}: params[{i}] must be a Parameter, got {type(p).__name__} "
                    "(pass model.parameters())"
                )
            if id(p) in seen:
                raise ValueError(f"{type(self).__name__}: params[{i}] ({p.name}) appears twice; it would be updated twice")
            seen.add(id(p))
        self.params = params
        self.state = {}  # Parameter -> its dict of state
        self.lr = lr

    def __setattr__(self, name, value):
        check = self.hyperparameters.get(name)
        super().__setattr__(name, value if check is None else check(self, name, value))

    def step(self):
        """Update every parameter that has a gradient, in place (and warn if none has one)."""
        updated = False
        for p in self.params:
            if p.has_grad:
                state = self.state.get(p)
                if state is None or state["dtype"] is not p.value.dtype:
                    state = self.state[p] = self.new_state(p, state)
                self.update(p, p.grad, state)
                updated = True
        if not updated:
            warnings.warn(
                f"{type(self).__name__}.step: none of its {len(self.params)} parameters has a gradient, so nothing "
                "changed (did backward run? was the optimizer built on this model's parameters?)",
                UserWarning, stacklevel=2,
            )

    def new_state(self, p, old):
        """The state of `p` before its first update; after `astype`, `old` state converted to its dtype."""
        if old is None:
            return {"dtype": p.value.dtype}
        return {key: value.astype(p.value.dtype) if isinstance(value, np.ndarray) else value
                for key, value in old.items()} | {"dtype": p.value.dtype}

    @abstractmethod
    def update(self, p, g, state):
        """Update `p.value` in place from its gradient `g`, keeping what the rule needs in `state`."""

    def zero_grad(self):
        """Set every parameter's gradient to zero."""
        for p in self.params:
            p.zero_grad()

    def __repr__(self):
        settings = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.hyperparameters)
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay.

    Per parameter `p` with gradient `g`, as `torch.optim.SGD` (dampening 0):

        g = g + weight_decay * p
        buf = g                      (first step)
        buf = momentum * buf + g     (later steps)
        g = g + momentum * buf  if nesterov  else  buf      (only when momentum > 0)
        p = p - lr * g
    """

    hyperparameters = {"lr": positive, "momentum": non_negative, "nesterov": checks.flag, "weight_decay": non_negative}

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay
        if self.nesterov and self.momentum == 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0")

    def update(self, p, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * p.value
        if self.momentum:
            buf = state.get("momentum")
            if buf is None:
                buf = state["momentum"] = g.copy()
            else:
                buf *= self.momentum
                buf += g
            g = g + self.momentum * buf if self.nesterov else buf
        p.value -= self.lr * g


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
        m_hat = m / (1 - beta1**t)                v_hat = v / (1 - beta2**t)
        p = p - lr * m_hat / (sqrt(v_hat) + eps)
    """

    hyperparameters = {"lr": positive, "betas": pair_of_betas, "eps": non_negative, "weight_decay": non_negative}

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        self.betas, self.eps, self.weight_decay = betas, eps, weight_decay

    def update(self, p, g, state):
        beta1, beta2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * p.value
        if "m" not in state:
            state.update(t=0, m=np.zeros_like(p.value), v=np.zeros_like(p.value))
        state["t"] += 1
        m, v, t = state["m"], state["v"], state["t"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        p.value -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
