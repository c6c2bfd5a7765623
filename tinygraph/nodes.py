"""Nodes: the placeholders a graph is built from. Calling a layer on nodes records a call; nothing is computed.

    x = Input("x")          # a node standing for an array given later
    h = Dense(3, 8)(x)      # a Call (Dense on x) is recorded, and h is the node of its output

The graph itself (`tinygraph.graph`) is made from these records: `Graph(inputs=x, outputs=h)`.

How a layer knows: its call (`calls.py`) checks whether its input, or the first of several, is a node
(`calls.Symbolic`), only where an array would be converted anyway, so a call on an array the layer
takes as it is pays nothing for it; a call on nodes goes to `Node.record`.
"""

import inspect
import itertools
import math

from . import checks
from .calls import Symbolic
from .text import short_repr

_numbers = itertools.count()  # each call gets the next number when it is made


class Node(Symbolic):
    """A value of a graph: output `index` of the call `call`, or, for an `Input` (`call` None), a value given
    to the graph. It holds no array.

    Calling a layer on nodes (`layer(node)`, `Add()(node_a, node_b)`) records a `Call` and returns the
    node of its output, or a tuple of nodes for a layer of several outputs (a layer says how many with
    `n_outputs`; a `Graph` has one per output).
    """

    def __init__(self, call, index=0):
        self.call, self.index = call, index

    def record(self, layer, inputs):
        for i, value in enumerate(inputs):
            if not isinstance(value, Node):
                raise TypeError(
                    f"{short_repr(layer)}: argument {i} is {checks.describe(value)}; a call on graph nodes takes only nodes "
                    "(arrays go in when the graph runs)"
                )
        fewest, most = arity(layer)
        if not fewest <= len(inputs) <= most:
            takes = f"{fewest}" if fewest == most else f"{fewest} or more"
            nodes = ", ".join(map(repr, inputs))
            raise ValueError(f"{short_repr(layer)}: takes {takes} input(s), got {len(inputs)} node(s): {nodes}")
        call = Call(layer, tuple(inputs), getattr(layer, "n_outputs", 1))
        return call.outputs[0] if len(call.outputs) == 1 else call.outputs

    def __array__(self, dtype=None, copy=None):  # where an array is needed, e.g. after an array in a call
        raise TypeError(
            f"{self!r} is a graph node, not an array: it has no value until the graph runs "
            "(call layers on nodes to build a graph, then call the graph on arrays; a call takes nodes only)"
        )

    def __repr__(self):  # one level deep: the layer and what it takes
        call = self.call
        takes = ", ".join(repr(node) if node.call is None else f"{node.call.layer!r}(…)" for node in call.inputs)
        return f"{call.layer!r}({takes})" + (f"[{self.index}]" if len(call.outputs) > 1 else "")


class Input(Node):
    """`tg.Input(name=None)`: a graph's input, standing for an array `(n_batch, ...)` given when it runs.

    `name` (a non-empty string) names the input in the graph's repr, summary and errors; by default the
    graph names its inputs `input`, `input_1`, ...
    """

    def __init__(self, name=None):
        if name is not None and (not isinstance(name, str) or not name):
            raise TypeError(f"Input: name must be a non-empty string or None, got {checks.describe(name)}")
        super().__init__(None)
        self.name = name

    def __repr__(self):
        return "Input()" if self.name is None else f"Input({self.name!r})"


class Call:
    """One use of a layer in a graph: `outputs = layer(*inputs)`, with nodes for the values.

    Calls are numbered as they are made. A call can only be made once the nodes it takes exist, so the
    numbers are a topological order: every call comes after the calls that compute its inputs.
    """

    def __init__(self, layer, inputs, n_outputs):
        self.layer, self.inputs = layer, inputs
        self.outputs = tuple(Node(self, i) for i in range(n_outputs))
        self.number = next(_numbers)


def arity(layer):
    """`(fewest, most)`: how many inputs `layer` takes. A layer that takes a varying number says so with an
    `arity` attribute (a merge: `(2, math.inf)`; a graph: one per input); any other takes as many as the
    positional parameters of its `forward`."""
    if getattr(layer, "arity", None) is not None:
        return layer.arity
    forward = getattr(type(layer).forward, "raw", type(layer).forward)
    parameters = list(inspect.signature(forward).parameters.values())[1:]
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    fewest = sum(p.default is p.empty for p in positional)
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        return max(fewest, 1), math.inf
    return fewest, len(positional)
