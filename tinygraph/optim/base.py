"""`Optimizer`: the parameter list, checked hyperparameters, `step()` and `zero_grad()`.

An optimizer holds the `Parameter` objects it was given. `step()` updates each one's `.value` in place
from its `.grad`, by the rule in the optimizer's `update(p, g, state)`; `state` is that parameter's own
dict (momentum buffers, moments, step count), made on its first update, in the parameter's dtype.
As in PyTorch, a parameter that has no gradient (nothing added into it since `zero_grad()`) is left
alone: no weight decay, no momentum. With `maximize=True`, `update` gets `-grad`, so the same rule
climbs the objective instead of descending it (PyTorch negates the gradient first, as here).

Hyperparameters are checked whenever they are set, so `opt.lr = 0.01` between epochs (what a
schedule does) is as safe as the constructor (`opt.lr = float("nan")` is a `ValueError`).
"""

import inspect
import warnings
from abc import ABC, abstractmethod

import numpy as np

from .. import checks
from ..layer import Layer
from ..parameter import Parameter


def positive(owner, name, value):
    return checks.number(owner, name, value, low=0, low_open=True)


def non_negative(owner, name, value):
    return checks.number(owner, name, value, low=0)


def fraction(owner, name, value):
    return checks.number(owner, name, value, low=0, high=1)


def unit_interval(owner, name, value):
    return checks.number(owner, name, value, low=0, high=1, high_open=False)


def zeros_at_first(state, name, like):
    """`state[name]`, made as zeros shaped like `like` at its first use (a running sum or mean starts at 0)."""
    array = state.get(name)
    if array is None:
        array = state[name] = np.zeros_like(like)
    return array


def parameter_list(owner, params):
    """`params` as a list of distinct `Parameter`s, or a `TypeError`/`ValueError` naming `owner` and the item."""
    if isinstance(params, Layer):
        raise TypeError(f"{owner}: pass the model's parameters, model.parameters(), not the model")
    params = list(params)
    if not params:
        raise ValueError(f"{owner}: got an empty parameter list (did the model build its layers?)")
    seen = set()
    for i, p in enumerate(params):
        if not isinstance(p, Parameter):
            raise TypeError(f"{owner}: params[{i}] must be a Parameter, got {type(p).__name__} (pass model.parameters())")
        if id(p) in seen:
            raise ValueError(f"{owner}: params[{i}] ({p.name}) appears twice; it would be updated twice")
        seen.add(id(p))
    return params


class Optimizer(ABC):
    """Abstract base: the parameter list, checked hyperparameters, `step()` and `zero_grad()`.

    A subclass lists its hyperparameters in `hyperparameters` (`{name: check}`, starting from
    `Optimizer.hyperparameters`) and writes `update`.
    """

    hyperparameters = {"lr": non_negative, "maximize": checks.flag}

    def __init__(self, params, lr, maximize=False):
        self.params = parameter_list(type(self).__name__, params)
        self.state = {}  # Parameter -> its dict of state
        self.lr, self.maximize = lr, maximize

    def __setattr__(self, name, value):
        check = self.hyperparameters.get(name)
        super().__setattr__(name, value if check is None else check(self, name, value))

    def step(self):
        """Update every parameter that has a gradient, in place (and warn if none has one: nearly always a
        mistake, such as an optimizer built on another model's parameters)."""
        maximize = self.maximize
        updated = False
        for p in self.params:
            g = p._grad
            if g is not p._zeros:  # p.has_grad, read directly: this loop runs for every parameter at every step
                state = self.state.get(p)
                if state is None or state["dtype"] is not p.value.dtype:
                    state = self.state[p] = self.new_state(p, state)
                self.update(p, -g if maximize else g, state)
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
        """The class, `lr` and every other hyperparameter that differs from its default: `SGD(lr=0.1, momentum=0.9)`."""
        defaults = {name: parameter.default for name, parameter in inspect.signature(type(self).__init__).parameters.items()}
        settings = [f"{name}={getattr(self, name)!r}" for name in self.hyperparameters
                    if name == "lr" or getattr(self, name) != defaults.get(name, inspect.Parameter.empty)]
        return f"{type(self).__name__}({', '.join(settings)})"
