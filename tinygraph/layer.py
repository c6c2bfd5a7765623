"""`Layer`: the abstract base of every layer and container, and what every model can do.

A layer is `forward(x) -> y` and `backward(dy) -> dx`, written as the math (see `calls.py` for what
runs around them). This file gives every layer its structure (`parameters()`, `named_parameters()`,
buffers), its modes (`train`/`eval`, `predict`), its state (`astype`, `state_dict`,
`load_state_dict`) and its pictures (`repr`, `summary`).
"""

from abc import abstractmethod
from collections.abc import Mapping

import numpy as np

from . import calls, checks
from .calls import MACHINERY, Differentiable, layer_backward, layer_forward
from .copies import copy_layers
from .inference import inference
from .watch import output_shapes, sample_shape
from .parameter import FLOAT_DTYPES, Parameter
from .text import Table, capped, model_repr, summary_table


class Layer(Differentiable):
    """Abstract base of every layer and container: implement `forward(x)` and `backward(dy)`.

    Shapes are batch first: `x` is `(n_batch, ...)`. `parameters()` finds every `Parameter` and
    sub-`Layer` assigned as an attribute (also inside lists and tuples), in definition order, each once,
    so a shared layer's parameters appear once. Arrays registered with `register_buffer` (running
    statistics) are state too: `state_dict`, `load_state_dict`, `astype` and files carry them, and no
    optimizer sees them.
    """

    _training = True
    dtype = np.dtype(np.float64)
    checks_every_input = False  # True for a class with its own `as_input` (calls.py): it sees every input

    @property
    def training(self):
        """True in training mode (`train()`), False in eval mode (`eval()`), and always False inside
        `predict` and `evaluate` (which never change it: see `tinygraph.inference`)."""
        return self._training and not (calls.inferring and calls.threads.state.inference)

    @training.setter
    def training(self, mode):
        self._training = mode

    @classmethod
    def call_wrappers(cls):
        return layer_forward, layer_backward

    @abstractmethod
    def forward(self, x):
        """Compute `y` from `x` and save what `backward` needs."""

    @abstractmethod
    def backward(self, dy):
        """Given `dy = dL/dy`, add into each parameter's `.grad` and return `dx = dL/dx`."""

    def as_input(self, x):
        """`x` as this layer takes it (an array of its dtype with a batch axis), or a clear error."""
        return checks.as_input(self, x)

    def as_grad(self, dy, shape):
        """`dy` as an array of this layer's dtype and the output's `shape`, or a clear error."""
        if shape and type(shape[0]) is tuple:  # several outputs: a tuple of dys, None for no gradient
            if not isinstance(dy, tuple) or len(dy) != len(shape):
                raise ValueError(f"{self!r}.backward: expected a tuple of {len(shape)} gradients, one per output")
            return tuple(None if d is None else checks.as_grad(self, d, s) for d, s in zip(dy, shape))
        return checks.as_grad(self, dy, shape)

    # -- structure --------------------------------------------------------------------------------

    def named_members(self):
        """Yield `(name, member)` for each `Parameter` or `Layer` held directly, in definition order.

        Lists and tuples of them are looked into (named `attr.0`, `attr.1`, ...). Containers override
        this to name their children by position.
        """
        for name, value in vars(self).items():
            if name in MACHINERY:
                continue
            if isinstance(value, (Parameter, Layer)):
                yield name, value
            elif type(value) in (list, tuple):
                for i, item in enumerate(value):
                    if isinstance(item, (Parameter, Layer)):
                        yield f"{name}.{i}", item

    def holds(self, kinds):
        """True if this layer holds a member of `kinds` (`Parameter`, `Layer` or both), as `named_members()` finds them."""
        for name, value in self.__dict__.items():
            if isinstance(value, kinds):
                return True
            if (type(value) is list or type(value) is tuple) and name not in MACHINERY:
                for item in value:
                    if isinstance(item, kinds):
                        return True
        return False

    def holds_members(self):
        """True if this layer holds a `Parameter` or a `Layer` (`named_members()` is not empty)."""
        return self.holds(MEMBERS)

    def holds_layers(self):
        """True if this layer holds a sub-`Layer`."""
        return self.holds(Layer)

    def walk(self):
        """Yield `(path, member)` for every `Parameter` and `Layer` below this layer, each once.

        Depth first in definition order; paths join member names with dots (`"1.0.weight"`).
        """
        seen = {id(self)}
        stack = [("", self.named_members())]
        while stack:  # a loop, not recursion: a model nested thousands deep is still a model
            prefix, members = stack[-1]
            for name, member in members:
                if id(member) not in seen:
                    seen.add(id(member))
                    yield prefix + name, member
                    if isinstance(member, Layer):
                        stack.append((prefix + name + ".", member.named_members()))
                        break
            else:
                stack.pop()

    def named_parameters(self):
        """`[(name, parameter), ...]`, names like `"0.weight"`, each parameter once."""
        return [(name, member) for name, member in self.walk() if isinstance(member, Parameter)]

    def parameters(self):
        """Every `Parameter` of this layer and its sub-layers, in definition order, each once."""
        return [p for _, p in self.named_parameters()]

    def named_layers(self):
        """`[(path, layer), ...]`: this layer (path `""`) and every sub-layer, each once."""
        return [("", self)] + [(name, member) for name, member in self.walk() if isinstance(member, Layer)]

    def all_layers(self):
        """This layer and every sub-layer below it, each once, parents before children."""
        return [layer for _, layer in self.named_layers()]

    def register_buffer(self, name, array):
        """Keep `array` as the attribute `name` and as state (see the class docstring); return it."""
        array = checks.as_float(array, f"{self!r}.register_buffer({name!r})").astype(self.dtype)
        names = self.__dict__.setdefault("_buffer_names", [])
        if name not in names:
            names.append(name)
        setattr(self, name, array)
        return array

    def named_buffers(self):
        """`[(name, array), ...]` for every buffer of this layer and its sub-layers (`"1.running_mean"`)."""
        return [(f"{path}.{name}" if path else name, getattr(layer, name))
                for path, layer in self.named_layers() for name in layer.__dict__.get("_buffer_names", ())]

    # -- modes, gradients, dtype, state -----------------------------------------------------------

    def zero_grad(self):
        """Set every parameter's gradient to zero."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode=True):
        """Set `.training` on this layer and every sub-layer; return self."""
        for layer in self.all_layers():
            layer.training = mode
        return self

    def eval(self):
        """Evaluation mode (`.training = False`) everywhere; return self."""
        return self.train(False)

    def predict(self, X, batch_size=None):
        """The model's output for `X` in evaluation mode, in batches of `batch_size` (None: all at once).

        The model is not changed: its layers' `training` flags read False only for this call, and
        nothing is kept for a backward, so other threads may predict while one trains (see
        `tinygraph.inference`). A model of several inputs takes a tuple.
        """
        if batch_size is not None:
            batch_size = checks.integer(f"{self!r}.predict", "batch_size", batch_size)
        inputs = X if isinstance(X, tuple) else (X,)
        with inference():
            n = len(inputs[0]) if inputs and np.ndim(inputs[0]) else 0
            if batch_size is None or n <= batch_size:
                return self(*inputs)
            parts = [self(*(x[i : i + batch_size] for x in inputs)) for i in range(0, n, batch_size)]
        if isinstance(parts[0], tuple):
            return tuple(np.concatenate(outputs) for outputs in zip(*parts))
        return np.concatenate(parts)

    def astype(self, dtype):
        """Convert every parameter, gradient, buffer and (from now on) activation to a float `dtype`.

        Returns self. A value too large for float32 is a `ValueError`, and then nothing is converted.

        >>> from tinygraph import Dense
        >>> Dense(2, 3).astype(np.float32).weight.value.dtype
        dtype('float32')
        """
        dtype = np.dtype(dtype) if isinstance(dtype, (type, str, np.dtype)) else None
        if dtype not in FLOAT_DTYPES:
            raise TypeError(f"{self!r}.astype: dtype must be np.float32 or np.float64")
        params = self.named_parameters()
        owner = f"{self!r}.astype"  # (once: the repr of a large model is long)
        values = {name: checks.as_numeric(p.value, dtype, f"{owner}: {name}") for name, p in params}
        buffers = {name: checks.as_numeric(a, dtype, f"{owner}: {name}") for name, a in self.named_buffers()}
        for name, p in params:
            grad = p.grad.astype(dtype) if p.has_grad else None
            p.value = values[name]
            p.grad = grad
        for path, layer in self.named_layers():
            layer.dtype = dtype
            layer._calls.clear()  # values saved at the old dtype are useless now
            for name in layer.__dict__.get("_buffer_names", ()):
                setattr(layer, name, buffers[f"{path}.{name}" if path else name])
        return self

    def state_dict(self):
        """`{name: copy of the array}` for every parameter (as `named_parameters()`) and buffer."""
        state = {name: p.value.copy() for name, p in self.named_parameters()}
        state.update((name, array.copy()) for name, array in self.named_buffers())
        return state

    def load_state_dict(self, state, strict=True):
        """Copy arrays from `state` into the parameters and buffers of the same names; return self.

        Names, shapes and dtypes are all checked before anything is copied: a mismatch raises
        `ValueError` naming the array and leaves the model unchanged. With `strict=False`, missing and
        unexpected names are ignored (shapes and dtypes are still checked).
        """
        owner = f"{self!r}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(f"{owner}: expected a dict of arrays, got {type(state).__name__}")
        targets = {name: p.value for name, p in self.named_parameters()}
        targets.update(self.named_buffers())
        if strict:
            missing = [name for name in targets if name not in state]
            unexpected = [name for name in state if name not in targets]
            if missing or unexpected:
                raise ValueError(f"{owner}: missing {capped(missing)}, unexpected {capped(unexpected)}")
        updates = []
        for name, target in targets.items():
            if name not in state:
                continue
            value = state[name]
            if not isinstance(value, np.ndarray):
                raise TypeError(f"{owner}: {name!r} must be a NumPy array, got {type(value).__name__}")
            if value.shape != target.shape:
                raise ValueError(f"{owner}: {name!r} has shape {value.shape}, the model expects {target.shape}")
            native = value.dtype.newbyteorder("=")  # a big-endian float64 is a float64
            if native != target.dtype:
                hint = (f"convert the model first with .astype(np.{native.name})" if native in FLOAT_DTYPES
                        else "a model holds float32 or float64 values")
                raise ValueError(f"{owner}: {name!r} has dtype {value.dtype}, the model has {target.dtype} ({hint})")
            updates.append((target, value))
        for target, value in updates:
            target[...] = value
        return self

    # -- showing ----------------------------------------------------------------------------------

    def summary(self, input_shape=None):
        """A table of the layers, their output shapes and parameter counts, with totals; no data needed.

        `input_shape` is one sample's shape without the batch axis (an int `n` means `(n,)`); by default
        the model's own, when its first layer tells (`Dense` does). The result is a `str` that shows as
        the table at the prompt; `print(model.summary())` works too.
        """
        if input_shape is None:
            input_shape = sample_shape(self)
        elif isinstance(input_shape, (int, np.integer)):
            input_shape = (checks.integer(f"{self!r}.summary", "input_shape", input_shape),)
        try:
            shapes = output_shapes(self, input_shape) if input_shape is not None else None
        except RecursionError:  # a model nested too deep for Python to run: the table still shows it
            return Table(summary_table(self, None, "output shapes unknown: the model is nested too deep to run "
                                                   "(RecursionError; see sys.setrecursionlimit)"))
        return Table(summary_table(self, shapes))

    def __repr__(self):
        return model_repr(self, Layer.__repr__)

    def __deepcopy__(self, memo):  # the layers below are copied in a loop: any depth copies
        return copy_layers(self, memo, Layer.__deepcopy__)

    def extra_repr(self):
        """The arguments shown inside `repr(layer)`'s parentheses (none by default)."""
        return ""

    def nested_parts(self):
        """`(name, children, joiner, suffix)` for a `repr` as `Name(child joiner child ..., suffix)`; None: `Name(extra_repr())`."""
        return None


MEMBERS = (Parameter, Layer)

