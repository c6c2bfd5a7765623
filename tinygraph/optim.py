"""Optimizers: `SGD` and `Adam`, with exactly the update rules of `torch.optim.SGD` and `torch.optim.Adam`.

An optimizer holds the `Parameter` objects it was given; `step()` updates their `.value` in place from
their `.grad`, and `zero_grad()` clears the gradients. State (momentum buffers, moments, one scratch
array per parameter) is created at the first step with the parameter's dtype, so a float32 model keeps
float32 state, and later steps allocate no arrays (except with weight decay, or Nesterov momentum).
"""

import math
from abc import ABC, abstractmethod

import numpy as np

from .core import Layer, Parameter


class Optimizer(ABC):
    """Abstract base: validates the parameter list and the learning rate, and clears gradients."""

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
        self.lr = check_hyper(self, "lr", lr, low=0.0, low_inclusive=False)
        self.work = [None] * len(params)  # one scratch array per parameter, so a step allocates nothing

    def scratch(self, i):
        """The scratch array of parameter `i` (made at the first step, like the optimizer's state)."""
        work, value = self.work[i], self.params[i].value
        if work is None or work.dtype != value.dtype:
            work = self.work[i] = np.empty_like(value)
        return work

    @abstractmethod
    def step(self):
        """Update every parameter in place from its gradient."""

    def zero_grad(self):
        """Set every parameter's gradient to zero."""
        for p in self.params:
            p.zero_grad()


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay.

    Per parameter `p` with gradient `g`, as `torch.optim.SGD` (dampening 0):

        g = g + weight_decay * p
        buf = g                      (first step)
        buf = momentum * buf + g     (later steps)
        g = g + momentum * buf  if nesterov  else  buf      (only when momentum > 0)
        p = p - lr * g
    """

    def __init__(self, params, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum = check_hyper(self, "momentum", momentum, low=0.0)
        self.weight_decay = check_hyper(self, "weight_decay", weight_decay, low=0.0)
        if nesterov and self.momentum == 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0")
        self.nesterov = bool(nesterov)
        self.buffers = [None] * len(self.params)

    def step(self):
        for i, p in enumerate(self.params):
            work = self.scratch(i)
            g = p.grad
            if self.weight_decay:
                g = np.multiply(p.value, self.weight_decay, out=work)
                g += p.grad
            if self.momentum:
                buf = self.buffers[i]
                if buf is None:
                    buf = self.buffers[i] = g.copy()
                else:
                    buf *= self.momentum
                    buf += g
                g = np.add(g, self.momentum * buf, out=work) if self.nesterov else buf
            p.value -= np.multiply(g, self.lr, out=work)  # p -= lr * g, in place

    def __repr__(self):
        return (
            f"SGD(lr={self.lr}, momentum={self.momentum}, nesterov={self.nesterov}, "
            f"weight_decay={self.weight_decay})"
        )


class Adam(Optimizer):
    """Adam (Kingma & Ba), with L2 weight decay added to the gradient, as `torch.optim.Adam`.

    Per parameter `p` with gradient `g`, at step `t = 1, 2, ...`:

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}") from None
        self.betas = (
            check_hyper(self, "beta1", beta1, low=0.0, high=1.0),
            check_hyper(self, "beta2", beta2, low=0.0, high=1.0),
        )
        self.eps = check_hyper(self, "eps", eps, low=0.0)
        self.weight_decay = check_hyper(self, "weight_decay", weight_decay, low=0.0)
        self.t = 0
        self.m = [None] * len(self.params)
        self.v = [None] * len(self.params)

    def step(self):
        self.t += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1 - beta1**self.t)
        sqrt_bias2 = math.sqrt(1 - beta2**self.t)  # a Python float: no upcast of float32 state
        for i, p in enumerate(self.params):
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.value
            if self.m[i] is None:
                self.m[i], self.v[i] = np.zeros_like(p.value), np.zeros_like(p.value)
            m, v, work = self.m[i], self.v[i], self.scratch(i)
            m *= beta1
            m += np.multiply(g, 1 - beta1, out=work)
            v *= beta2
            v += np.multiply(np.square(g, out=work), 1 - beta2, out=work)
            denominator = np.sqrt(v, out=work)  # sqrt(v) / sqrt(1 - beta2**t) + eps, in the scratch array
            denominator /= sqrt_bias2
            denominator += self.eps
            p.value -= np.multiply(np.divide(m, denominator, out=work), step_size, out=work)

    def __repr__(self):
        return f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}, weight_decay={self.weight_decay})"


def check_hyper(optimizer, name, value, low, high=None, low_inclusive=True):
    """Return `value` as a float, or raise `ValueError` naming the hyperparameter and its valid range."""
    owner = type(optimizer).__name__
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r:.80}")
    value = float(value)
    too_low = value < low if low_inclusive else value <= low
    too_high = high is not None and value >= high
    if too_low or too_high or not math.isfinite(value):
        bound = f"{'>=' if low_inclusive else '>'} {low}" + (f" and < {high}" if high is not None else "")
        raise ValueError(f"{owner}: {name} must be {bound}, got {value}")
    return value
