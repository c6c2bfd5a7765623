"""`trace`: run one forward and one backward and record what every layer saw. Backprop made visible.

    >>> import numpy as np, tinygraph as tg
    >>> net = tg.Sequential(tg.Dense(3, 4, rng=0), tg.Sigmoid(), tg.Dense(4, 1, rng=1))
    >>> record = tg.trace(net, np.ones((2, 3)))
    >>> [row.name for row in record.rows]
    ['net', '0', '1', '2']
    >>> record.row("1").y.shape, record.row("1").dx.shape
    ((2, 4), (2, 4))
"""

import copy
from contextlib import contextmanager

import numpy as np

from .core import Layer, Parameter, as_numeric


class Call:
    """One call of one layer: its input `x`, output `y`, and from the backward `dy`, `dx` and `grads`.

    `grads` maps the layer's own parameter names to what this call's backward added to them.
    `name` is the layer's path in the model (`"net"` for the model itself, `"1.0"` for the first child
    of the second), `depth` its nesting level.
    """

    def __init__(self, name, depth, layer, x):
        self.name, self.depth, self.layer = name, depth, layer
        self.x, self.y, self.dy, self.dx, self.grads = x, None, None, None, {}

    def cells(self):
        def shape(a):
            return "-" if a is None else str(np.shape(a))

        def norm(a):
            return "-" if a is None else f"{np.linalg.norm(a):.4g}"

        label = "  " * self.depth + (f"{self.name} " if self.depth else "") + short_repr(self.layer)
        y = np.asarray(self.y, dtype=np.float64)
        grads = "  ".join(f"{name} {np.linalg.norm(g):.4g}" for name, g in self.grads.items()) or "-"
        return [label, shape(self.x), shape(self.y), f"{y.mean():.4g}", f"{y.std():.4g}", norm(self.dy), norm(self.dx), grads]


class TraceRecord:
    """What `trace` saw: `rows`, one `Call` per layer call in forward order; `str()` is a table."""

    HEADER = ["layer", "x shape", "y shape", "y mean", "y std", "|dy|", "|dx|", "|grad| of own parameters"]

    def __init__(self, rows):
        self.rows = rows

    def row(self, name):
        """The first call of the layer at path `name` (`"net"` for the model itself)."""
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"trace: no layer {name!r}; the names are {[row.name for row in self.rows]}")

    def __str__(self):
        table = [self.HEADER] + [row.cells() for row in self.rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(self.HEADER))]
        return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in table)

    __repr__ = __str__


def trace(model, x, grad=None, seed=0):
    """Run `model` forward on `x` and backward from `grad` (random if None), recording every layer call.

    Runs on a copy: the model's values, gradients and saved state are left as they were. `grad` is the
    upstream gradient dL/dy of the model's output (e.g. `loss.backward()`); by default a standard
    normal array seeded by `seed`. Returns a `TraceRecord`; `str(record)` is a table with one row per
    layer call, nested layers indented: shapes, the output's mean and std, the norms of `dy`, `dx`
    and of the gradients each call added to its layer's own parameters.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"trace: model must be a tinygraph Layer, got {type(model).__name__}")
    model = copy.deepcopy(model)
    model.zero_grad()
    rows = []
    with recording(model, rows):
        y = model(x)
        if grad is None:
            grad = np.random.default_rng(seed).standard_normal(y.shape)
        grad = as_numeric(grad, y.dtype, "trace: grad")
        if grad.shape != y.shape:
            raise ValueError(f"trace: grad has shape {grad.shape}, the model's output has shape {y.shape}")
        model.backward(grad)
    return TraceRecord(rows)


@contextmanager
def recording(model, rows):
    """While active, every layer of `model` appends a `Call` to `rows` on forward and fills it on backward.

    Each layer instance gets `forward` and `backward` attributes wrapping its own methods (the layer
    classes are untouched); they are removed on exit.
    """
    pending = {}  # id(layer) -> its calls whose backward has not run yet (last in, first out)
    for path, layer in model.named_layers():
        name, depth = path or "net", path.count(".") + 1 if path else 0
        own = {key: value for key, value in layer.named_members() if isinstance(value, Parameter)}
        layer.forward = _recorded_forward(layer, layer.forward, name, depth, rows, pending)
        layer.backward = _recorded_backward(layer, layer.backward, own, pending)
    try:
        yield rows
    finally:
        for layer in model.all_layers():
            del layer.forward, layer.backward


def _recorded_forward(layer, forward, name, depth, rows, pending):
    def recorded(x):
        call = Call(name, depth, layer, np.array(x, copy=True))
        rows.append(call)
        call.y = forward(x)
        pending.setdefault(id(layer), []).append(call)
        return call.y

    return recorded


def _recorded_backward(layer, backward, own, pending):
    def recorded(dy):
        call = pending[id(layer)].pop()
        before = {key: p.grad.copy() for key, p in own.items()}
        call.dy = np.array(dy, copy=True)
        call.dx = backward(dy)
        call.grads = {key: p.grad - before[key] for key, p in own.items()}
        return call.dx

    return recorded


def short_repr(layer):
    """A layer's class name and arguments, without its children: `Dense(3→4)`, `Parallel(merge='add')`."""
    args = layer.extra_repr()
    return f"{type(layer).__name__}({args})" if args else type(layer).__name__
