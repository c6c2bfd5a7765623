"""How a graph shows itself: its repr (a line per call, read like code) and its summary table.

    Graph(
      inputs a, b
      sequential = Sequential(Dense(4→8) >> Tanh)(a)
      sequential[1] = sequential(b)          # the same layer called again: shared weights
      multiply = Multiply(sequential, sequential[1])
      outputs multiply
    )

Nothing here knows a layer class: it reads the graph's inputs, calls and names (`tinygraph.graph`).
"""


import numpy as np

from . import checks
from .copies import copied
from .watch import sample_shape
from .text import Table, _shape, short_repr, table
from .watch import Watcher, watching


def listing(graph, width=None):
    """`[(name, what computes it, [names of the nodes it takes], again), ...]`: each input, then each call.

    A call is named as its node (`dense`, `dense[1]` for a second use); its layer is shown by repr at
    its first call (its short repr if the repr is wider than `width`) and by name at later ones
    (`again` is True there), so that `dense[1] = dense(b)` reads as the same layer.
    """
    names, rows, seen = graph.names, [(graph.names[node], "Input", [], False) for node in graph.inputs], set()
    for call in graph.calls:
        again, label = id(call.layer) in seen, repr(call.layer)
        if again:
            label = names[call].partition("[")[0]
        elif width is not None and (len(label) > width or "\n" in label):
            label = short_repr(call.layer)
        seen.add(id(call.layer))
        rows.append((names[call], label, [names[node] for node in call.inputs], again))
    return rows


def graph_repr(graph, width=100):
    """`Graph(inputs x; dense = Dense(3→4)(x); outputs dense)` on one line if it fits, else a line per call."""
    names = graph.names
    calls = [f"{name} = {label}({', '.join(takes)})" for name, label, takes, _ in listing(graph)[len(graph.inputs):]]
    parts = [f"inputs {', '.join(names[node] for node in graph.inputs)}", *calls,
             f"outputs {', '.join(names[node] for node in graph.outputs)}"]
    one_line = f"Graph({'; '.join(parts)})"
    if len(one_line) <= width and "\n" not in one_line:
        return one_line
    return "Graph(\n" + "\n".join("  " + part.replace("\n", "\n  ") for part in parts) + "\n)"


def guess_input_shapes(graph):
    """For each input, one sample's shape as told by a layer that takes that input alone (`sample_shape`),
    or None."""
    shapes = []
    for node in graph.inputs:
        guesses = (sample_shape(call.layer) for call in graph.calls if call.inputs == (node,))
        shapes.append(next((shape for shape in guesses if shape is not None), None))
    return shapes


class _DirectCalls(Watcher):
    """Keeps the output of each call the watched model makes itself (not those its children make)."""

    def __init__(self):
        self.depth, self.outputs = 0, []

    def forward_begins(self, layer, xs):
        self.depth += 1

    def forward_ends(self, layer, y):
        self.depth -= 1
        if self.depth == 1:
            self.outputs.append(y)


def call_shapes(graph, input_shapes):
    """`{name: one sample's output shape}` for every node, from one forward of zeros through a copy in eval mode."""
    probe = copied("summary", graph).eval()
    xs = [np.zeros((1, *shape), dtype=probe.dtype) for shape in input_shapes]
    with watching(_DirectCalls()) as watcher:
        probe(*xs)
    shapes = {probe.names[node]: shape for node, shape in zip(probe.inputs, input_shapes)}
    for call, y in zip(probe.calls, watcher.outputs):
        shapes[probe.names[call]] = y.shape[1:] if type(y) is np.ndarray else tuple(v.shape[1:] for v in y)
    return shapes


def graph_summary(graph, input_shape=None):
    """The text of `graph.summary()`: a row per node with its layer, output shape, parameters and the nodes it
    takes (as Keras' "Connected to"). A layer called again is counted once, at its first call."""
    owner = f"{short_repr(graph)}.summary"
    if input_shape is None:
        input_shapes = guess_input_shapes(graph)
    else:
        given = input_shape if isinstance(input_shape, list) or len(graph.inputs) > 1 else [input_shape]
        if not isinstance(given, (list, tuple)) or len(given) != len(graph.inputs):
            raise ValueError(f"{owner}: input_shape must be a list of {len(graph.inputs)} shape(s), one per input")
        input_shapes = [(checks.integer(owner, "input_shape", s),) if isinstance(s, (int, np.integer)) else tuple(s)
                        for s in given]
    known = all(shape is not None for shape in input_shapes)
    shapes = call_shapes(graph, input_shapes) if known else {}
    rows = []
    for (name, label, takes, again), layer in zip(listing(graph, 40), [None] * len(graph.inputs) + [c.layer for c in graph.calls]):
        count = 0 if layer is None or again else sum(p.value.size for p in layer.parameters())
        shape = shapes.get(name)
        rows.append([name, f"{label} (shared)" if again else label, "?" if shape is None else _shape(shape),
                     f"{count:,}", ", ".join(takes)])
    total = sum(p.value.size for p in graph.parameters())
    lines = table(["node", "layer", "output shape", "parameters", "takes"], rows, right={2, 3}, rule=True)
    lines.append(f"total parameters: {total:,} (trainable: {total:,})")
    if not known:
        lines.append("output shapes unknown: an input's shape is not told by the layer taking it; pass summary(input_shape=...)")
    return Table("\n".join(lines))
