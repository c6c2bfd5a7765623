"""Optimizers: `SGD` and `Adam`, with exactly the update rules of `torch.optim.SGD` and `torch.optim.Adam`.

An optimizer holds the `Parameter` objects it was given; `step()` updates their `.value` in place from
their `.grad`, and `zero_grad()` clears the gradients.

At its first step an optimizer moves the gradients of its parameters into one flat array per dtype
(each `p.grad` becomes a view of it, so layers still write into `p.grad`), and keeps its state
(momentum buffers, moments, a scratch array) flat alongside. An update is then a few NumPy calls
for all parameters together, whatever their number, and allocates no arrays (except with weight
decay or Nesterov momentum). State has the parameters' dtype, so a float32 model keeps float32 state.
Replace a parameter's `.grad` array (as `astype` does) and the next step regroups, keeping the state.
"""

import math
from abc import ABC, abstractmethod

import numpy as np

from .core import Layer, Parameter


class Flat:
    """Parameters of one dtype whose gradients are views of the flat array `grad`, and flat `state`.

    `state` maps a name (`"momentum"`, `"m"`, `"v"`, `"work"`) to a flat array the size of `grad`;
    `views(name)` cuts one into an array per parameter, shaped like it.
    """

    def __init__(self, params, old_state):
        self.params = params
        self.grad = np.concatenate([p.grad.ravel() for p in params]).astype(params[0].value.dtype, copy=False)
        self.state = {}
        self._views = {}
        for p, view in zip(params, self.views("grad")):
            p.grad = view
        for name, per_param in old_state.items():  # state carried over from an earlier grouping
            if all(id(p) in per_param and per_param[id(p)].size == p.value.size for p in params):
                self.state[name] = np.concatenate([per_param[id(p)].ravel() for p in params]).astype(self.grad.dtype)

    def views(self, name):
        if name not in self._views:
            flat = self.grad if name == "grad" else self.state[name]
            ends = np.cumsum([p.value.size for p in self.params])
            self._views[name] = [flat[end - p.value.size : end].reshape(p.value.shape) for p, end in zip(self.params, ends)]
        return self._views[name]

    def array(self, name, make=np.empty_like):
        """The flat state array `name`, made from the gradient by `make` the first time."""
        if name not in self.state:
            self.state[name] = make(self.grad)
        return self.state[name]

    def current(self):
        """True while every parameter's gradient is still a view of `grad` (reading `p.grad` also fills
        a lazily cleared gradient with its zeros)."""
        return all(p.grad.base is self.grad and p.value.dtype == self.grad.dtype for p in self.params)

    def subtract_from_values(self, name):
        """`p.value -= update` for each parameter, `update` being its view of the flat array `name`."""
        for p, update in zip(self.params, self.views(name)):
            p.value -= update


class Optimizer(ABC):
    """Abstract base: validates the parameter list and the learning rate, groups gradients, clears them."""

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
        self._groups = []

    def groups(self):
        """The parameters in `Flat` groups, one per dtype: made at the first step, remade when needed."""
        if not self._groups or not all(group.current() for group in self._groups):
            old_state = {}
            for group in self._groups:
                for name in group.state:
                    for p, view in zip(group.params, group.views(name)):
                        old_state.setdefault(name, {})[id(p)] = view
            by_dtype = {}
            for p in self.params:
                by_dtype.setdefault(p.value.dtype, []).append(p)
            self._groups = [Flat(params, old_state) for params in by_dtype.values()]
        return self._groups

    def state(self, name):
        """The flat state arrays called `name`, one per group (for inspection and tests)."""
        return [group.state[name] for group in self.groups() if name in group.state]

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

    def step(self):
        for group in self.groups():
            g, work = group.grad, group.array("work")
            if self.weight_decay:
                for p, decay in zip(group.params, group.views("work")):
                    np.multiply(p.value, self.weight_decay, out=decay)
                g = np.add(work, g, out=work)
            if self.momentum:
                buf = group.state.get("momentum")
                if buf is None:
                    buf = group.state["momentum"] = g.copy()  # the first step: buf = g
                else:
                    buf *= self.momentum
                    buf += g
                g = np.add(g, self.momentum * buf, out=work) if self.nesterov else buf
            np.multiply(g, self.lr, out=work)
            group.subtract_from_values("work")  # p -= lr * g, in place

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

    def step(self):
        self.t += 1
        beta1, beta2 = self.betas
        step_size = self.lr / (1 - beta1**self.t)
        sqrt_bias2 = math.sqrt(1 - beta2**self.t)  # a Python float: no upcast of float32 state
        for group in self.groups():
            g, work = group.grad, group.array("work")
            if self.weight_decay:
                g = g + np.concatenate([p.value.ravel() for p in group.params]) * self.weight_decay
            m, v = group.array("m", np.zeros_like), group.array("v", np.zeros_like)
            m *= beta1
            m += np.multiply(g, 1 - beta1, out=work)
            v *= beta2
            v += np.multiply(np.square(g, out=work), 1 - beta2, out=work)
            denominator = np.sqrt(v, out=work)  # sqrt(v) / sqrt(1 - beta2**t) + eps, in the scratch array
            denominator /= sqrt_bias2
            denominator += self.eps
            np.multiply(np.divide(m, denominator, out=work), step_size, out=work)
            group.subtract_from_values("work")

    def __repr__(self):
        return f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}, weight_decay={self.weight_decay})"


def check_hyper(owner_object, name, value, low, high=None, low_inclusive=True):
    """Return `value` as a float, or raise `ValueError` naming the owner, the hyperparameter and its range."""
    owner = type(owner_object).__name__
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{owner}: {name} must be a number, got {value!r:.80}")
    value = float(value)
    too_low = value < low if low_inclusive else value <= low
    too_high = high is not None and value >= high
    if too_low or too_high or not math.isfinite(value):
        bound = f"{'>=' if low_inclusive else '>'} {low}" + (f" and < {high}" if high is not None else "")
        raise ValueError(f"{owner}: {name} must be {bound}, got {value}")
    return value
