"""`trace`: run one forward and one backward and record what every layer saw. Backprop made visible.

    >>> import numpy as np, tinygraph as tg
    >>> net = tg.Sequential(tg.Dense(3, 4, rng=0), tg.Sigmoid(), tg.Dense(4, 1, rng=1))
    >>> record = tg.trace(net, np.ones((2, 3)))
    >>> [row.name for row in record.rows]
    ['net', '0', '1', '2']
    >>> record.row("1").y.shape, record.row("1").dx.shape
    ((2, 4), (2, 4))
"""

import numpy as np

from .. import checks
from ..graph import Graph
from ..copies import copied
from ..watch import Watcher, watching
from ..layer import Layer
from ..parameter import Parameter
from ..text import norm, short_repr, table


class Call:
    """One call of one layer: its input `x`, output `y`, and from the backward `dy`, `dx` and `grads`.

    `grads` maps the layer's own parameter names to what this call's backward added to them.
    `name` is the layer's path in the model (`"net"` for the model itself, `"1.0"` for the first child
    of the second; in a graph, the node's name: `"dense[1]"` for a layer's second call), `depth` its
    nesting level, `takes` the names of the nodes a call in a graph takes (else empty). Several inputs,
    outputs or gradients are tuples.
    """

    def __init__(self, name, depth, layer, x, takes=()):
        self.name, self.depth, self.layer, self.takes = name, depth, layer, list(takes)
        self.x, self.y, self.dy, self.dx, self.grads = x, None, None, None, {}

    def cells(self):
        label = "  " * self.depth + (f"{self.name} " if self.depth else "") + short_repr(self.layer)
        y = _flat(self.y)
        grads = "  ".join(f"{name} {norm(g)}" for name, g in self.grads.items()) or "-"
        mean, std = (f"{y.mean():.4g}", f"{y.std():.4g}") if y.size else ("-", "-")
        return [label, _shape(self.x), _shape(self.y), mean, std, norm(_flat(self.dy)), norm(_flat(self.dx)), grads]


def _shape(a):
    if isinstance(a, tuple):  # several inputs or outputs
        return ", ".join(_shape(item) for item in a)
    return "-" if a is None else str(np.shape(a))


def _flat(value):
    """Every number of an array, or of a tuple of arrays (None in it skipped), as one float64 vector; None for None."""
    if value is None:
        return None
    items = [item for item in value if item is not None] if isinstance(value, tuple) else [value]
    return np.concatenate([np.ravel(np.asarray(item, dtype=np.float64)) for item in items]) if items else np.zeros(0)


def _copy(value):
    return tuple(_copy(item) for item in value) if isinstance(value, tuple) else None if value is None else np.array(value)


class TraceRecord:
    """What `trace` saw: `rows`, one `Call` per layer call in forward order; `str()` is a table."""

    HEADER = ["layer", "x shape", "y shape", "y mean", "y std", "|dy|", "|dx|", "own |grad|"]  # own: its parameters' gradients

    def __init__(self, rows):
        self.rows = rows

    def row(self, name):
        """The first call of the layer at path `name` (`"net"` for the model itself)."""
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"trace: no layer {name!r}; the names are {[row.name for row in self.rows]}")

    def __str__(self):
        if not any(row.takes for row in self.rows):
            return "\n".join(table(self.HEADER, [row.cells() for row in self.rows]))
        rows = [row.cells() + [", ".join(row.takes)] for row in self.rows]  # a graph: the nodes each call takes
        return "\n".join(table(self.HEADER + ["takes"], rows))

    __repr__ = __str__


def trace(model, x, dy=None, seed=0):
    """Run `model` forward on `x` and backward from `dy` (random if None), recording every layer call.

    Runs on a copy: the model's values, gradients and saved state are left as they were. `dy` is the
    upstream gradient dL/dy of the model's output (e.g. `loss.backward()`); by default a standard
    normal array seeded by `seed`. A model of several inputs (a `Graph`) takes a tuple `x`, one array
    per input; of several outputs, a tuple `dy` (None for an output with no gradient). Returns a `TraceRecord`; `str(record)` is a table with one row per
    layer call, nested layers indented: shapes, the output's mean and std, the norms of `dy`, `dx`
    and of the gradients each call added to its layer's own parameters.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"trace: model must be a tinygraph Layer, got {type(model).__name__}")
    seed = checks.integer("trace", "seed", seed, minimum=0)
    model = copied("trace", model)
    model.zero_grad()
    recorder = Recorder(model)
    with watching(recorder):
        y = model(*x) if isinstance(x, tuple) else model(x)
        ys = y if isinstance(y, tuple) else (y,)
        if dy is None:
            rng = np.random.default_rng(seed)
            dys = [rng.standard_normal(value.shape) for value in ys]
        else:
            dys = list(dy) if isinstance(y, tuple) and isinstance(dy, tuple) else [dy]
            if len(dys) != len(ys):
                raise ValueError(f"trace: the model has {len(ys)} outputs; dy must be a tuple of {len(ys)} gradients")
        for i, (value, d) in enumerate(zip(ys, dys)):
            if d is not None:
                dys[i] = d = checks.as_numeric(d, value.dtype, "trace: dy")
                if d.shape != value.shape:
                    raise ValueError(f"trace: dy has shape {d.shape}, the model's output has shape {value.shape}")
        model.backward(tuple(dys) if isinstance(y, tuple) else dys[0])
    return TraceRecord(recorder.rows)


class Recorder(Watcher):
    """Keeps a `Call` row per layer call of `model`, in forward order, filled in by its backward."""

    def __init__(self, model):
        self.rows = []
        self.paths = {id(layer): path for path, layer in model.named_layers()}
        self.pending = {}  # id(layer) -> its rows whose backward has not run yet (last in, first out)
        self.before = {}  # id(layer) -> its own parameters' gradients before its backward
        self.running = []  # the layers whose forward is running, outermost first
        self.next_call = {}  # id(graph) -> how many of its calls have begun in its running forward

    def forward_begins(self, layer, xs):
        parent = self.running[-1] if self.running else None
        self.running.append(layer)
        path = self.paths.get(id(layer))
        if path is None:
            return
        name, takes = path or "net", ()
        if isinstance(parent, Graph):  # a call of a graph: named as its node, with the nodes it takes
            call = parent.calls[self.next_call[id(parent)]]
            self.next_call[id(parent)] += 1
            prefix = self.paths[id(parent)]
            name = (f"{prefix}." if prefix else "") + parent.names[call]
            takes = [parent.names[node] for node in call.inputs]
        if isinstance(layer, Graph):
            self.next_call[id(layer)] = 0
        depth = name.count(".") + 1 if path else 0
        row = Call(name, depth, layer, _copy(xs[0]) if len(xs) == 1 else _copy(tuple(xs)), takes)
        self.rows.append(row)
        self.pending.setdefault(id(layer), []).append(row)

    def forward_ends(self, layer, y):
        self.running.pop()
        if id(layer) in self.paths:
            self.pending[id(layer)][-1].y = y

    def backward_begins(self, layer, dy):
        if id(layer) in self.paths:
            row = self.pending[id(layer)].pop()
            row.dy = _copy(dy)
            own = {name: p for name, p in layer.named_members() if isinstance(p, Parameter)}
            self.before[id(layer)] = (row, own, {name: p.grad.copy() for name, p in own.items()})

    def backward_ends(self, layer, dx):
        if id(layer) in self.paths:
            row, own, before = self.before.pop(id(layer))
            row.dx = dx
            row.grads = {name: p.grad - before[name] for name, p in own.items()}
