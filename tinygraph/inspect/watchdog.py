"""Watching every layer call of a check (`tinygraph.watch`): who broke a rule, and what each layer saw.

- `Watchdog` notes every call that breaks a rule no finite difference can see: a forward that writes
  into its input `x`, a backward that writes into its `dy` (a container handing one `dy` to two
  branches would feed the second a wrong one), a backward whose `dx` has another shape or dtype
  than the `x` of its call (the next layer would cast it silently), a parameter gradient of another
  dtype than the parameter. Each problem is kept with the path of the layer (`"1.2"`).
- `Recorder` keeps, for each layer's first call, a copy of the layer as it was then (its generators
  and buffers too) and copies of its inputs: what `blame` checks each sub-layer alone at.
"""

import copy

import numpy as np

from ..watch import Watcher


def _copies(values):
    return tuple(None if v is None else np.array(v, copy=True) for v in values)


def _change(before, after):
    """Where `after` differs from `before` (arrays or tuples of them), as a phrase; "" if nowhere."""
    for b, a in zip(before, after):
        if b is None or a is None or np.array_equal(b, np.asarray(a), equal_nan=True) or np.shape(a) != b.shape:
            continue
        change = np.abs(np.asarray(a, dtype=np.float64) - b)
        index = tuple(int(i) for i in np.unravel_index(np.nanargmax(change), change.shape))
        return f"{b[index]:.6g} became {np.asarray(a)[index]:.6g} at index {index}"
    return ""


class Watchdog(Watcher):
    """See the module docstring. `problems` is `[(path, class name, sentence), ...]`, in call order."""

    def __init__(self, model):
        self.paths = {id(layer): path for path, layer in reversed(model.named_layers())}
        self.order = {path: i for i, (path, _) in enumerate(model.named_layers())}
        self.params = model.named_parameters()
        self.layers = dict(model.named_layers())
        self.forwards, self.backwards, self.open_calls = [], [], {}
        self.problems = []

    def note(self, layer, sentence):
        self.problems.append((self.paths.get(id(layer), "?"), type(layer).__name__, sentence))

    def note_if_changed(self, stack, layer, what):
        """Take the arrays the matching `*_begins` kept from `stack`, note `what` if they changed since; return
        the copies made then."""
        values, before = stack.pop()
        change = _change(before, values)
        if change:
            self.note(layer, f"{what}: {change}")
        return before

    def forward_begins(self, layer, xs):
        self.forwards.append((xs, _copies(xs)))

    def forward_ends(self, layer, y):
        before = self.note_if_changed(self.forwards, layer, "forward modified its input x")
        self.open_calls.setdefault(id(layer), []).append([(x.shape, x.dtype) for x in before])

    def backward_begins(self, layer, dy):
        dys = dy if isinstance(dy, tuple) else (dy,)
        self.backwards.append((dys, _copies(dys)))

    def backward_ends(self, layer, dx):
        self.note_if_changed(self.backwards, layer, "backward modified its upstream gradient dy")
        calls = self.open_calls.get(id(layer))
        if not calls:
            return
        inputs = calls.pop()
        dxs = dx if isinstance(dx, tuple) else (dx,)
        for i, ((shape, dtype), grad) in enumerate(zip(inputs, dxs)):
            which = "dx" if len(inputs) == 1 else f"dx {i}"
            if grad is None or dtype.kind != "f":
                continue
            grad = np.asarray(grad)
            if grad.shape != shape:
                self.note(layer, f"backward returned {which} of shape {grad.shape} for an input of shape {shape}")
            elif grad.dtype != dtype:
                self.note(layer, f"backward returned {which} of dtype {grad.dtype} for an input of dtype {dtype}")

    def check_parameters(self):
        for name, p in self.params:
            if p.grad.dtype != p.value.dtype:
                path, _, attribute = name.rpartition(".")
                self.problems.append((path, type(self.layers[path]).__name__, f"backward made {attribute}.grad {p.grad.dtype}, the parameter is {p.value.dtype}"))


class Recorder(Watcher):
    """`seen[id(layer)] = (copy of the layer, copies of its inputs)` at each layer's first call."""

    def __init__(self):
        self.seen = {}

    def forward_begins(self, layer, xs):
        if id(layer) not in self.seen:
            self.seen[id(layer)] = (copy.deepcopy(layer), [np.array(x, copy=True) for x in xs])


def culprit_of(problems, order):
    """The first problem (in path `order`, `{path: position}`) of a layer none of whose sub-layers has one."""
    paths = {path for path, _, _ in problems}
    for path, name, sentence in sorted(problems, key=lambda problem: order.get(problem[0], len(order))):
        if not any(other != path and (path == "" or other.startswith(path + ".")) for other in paths):
            return path, name, sentence
    return None
