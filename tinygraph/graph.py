"""`Graph`: layers joined in any directed acyclic graph, built by calling layers on placeholder nodes.

    x = tg.Input()                           # a placeholder: it has no value yet
    h = tg.ReLU()(tg.Dense(3, 8)(x))         # calling a layer on nodes records a call; nothing is computed
    s = tg.Add()(h, tg.Dense(3, 8)(x))       # x feeds two calls (fan-out), Add takes two (fan-in)
    model = tg.Graph(inputs=x, outputs=tg.Dense(8, 1)(s))

A `Graph` is a layer. Its forward runs the calls in a topological order, each on the values of the
nodes it takes. Its backward runs them in reverse, and a node that feeds several calls gets the *sum*
of their gradients: the value is used along several paths, and the chain rule adds them up. A layer
called at several nodes keeps one set of weights, and its gradients add up too: each backward takes
the most recent forward of that layer (`calls.py`), and reverse order is exactly that order.
"""

import copy

import numpy as np

from . import checks
from .graph_text import graph_repr, graph_summary, guess_input_shapes
from .layer import Layer
from .nodes import Input, Node
from .text import short_repr


class Graph(Layer):
    """Layers called on nodes, from `inputs` to `outputs`: `tg.Graph(inputs, outputs)`, any directed acyclic graph.

    `inputs` is an `Input` node or a list of them; `outputs` a node or a list of nodes computed from
    them. `graph(x)` (several inputs: `graph(x_a, x_b)`, in the order of `inputs`) runs every call in
    order and returns the output (several: a tuple); `graph.backward(dy)` (several outputs: a tuple of
    `dy`s, None for an output with no gradient) returns `dx` (several inputs: a tuple of `dx`s).

    The layers are named by kind in the order of their first call (`dense`, `dense_1`, `add`), so
    parameters are named `dense_1.weight`; a layer called again makes a node named `dense[1]`, which
    shares the weights of `dense`.

    >>> import tinygraph as tg
    >>> x = tg.Input("x")
    >>> h = tg.Dense(3, 4, rng=0)(x)
    >>> graph = tg.Graph(x, tg.Add()(tg.Tanh()(h), h))
    >>> graph
    Graph(inputs x; dense = Dense(3→4)(x); tanh = Tanh(dense); add = Add(tanh, dense); outputs add)
    >>> graph(np.ones((2, 3))).shape
    (2, 4)
    """

    passes_none = True  # backward passes None on (a call whose inputs need no gradient): see tinygraph.calls

    def __init__(self, inputs, outputs):
        self.inputs = node_list("inputs", inputs)
        self.outputs = node_list("outputs", outputs)
        for i, node in enumerate(self.inputs):
            if not isinstance(node, Input):
                raise ValueError(f"Graph: inputs[{i}] is {node!r}, not an Input; a graph starts at tg.Input() nodes")
            if node in self.inputs[:i]:
                raise ValueError(f"Graph: {node!r} is given twice in inputs")
            if node.name is not None and node.name in [other.name for other in self.inputs[:i]]:
                raise ValueError(f"Graph: two inputs are named {node.name!r}; each input needs a name of its own")
        self.calls = calls_between(self.inputs, self.outputs)
        self.names = name_nodes(self.inputs, self.calls)  # {node or call: its name}
        first_calls = {}  # id(layer) -> the first call of that layer
        for call in self.calls:
            first_calls.setdefault(id(call.layer), call)
        self.layers = [call.layer for call in first_calls.values()]
        self.layer_names = [self.names[call] for call in first_calls.values()]  # the names in parameter paths

    def forward(self, *xs):
        if len(xs) != len(self.inputs):
            raise ValueError(f"{short_repr(self)}: takes {len(self.inputs)} input(s), got {len(xs)}; "
                             "pass one array per input, in the order of inputs: graph(x_a, x_b)")
        values = dict(zip(self.inputs, xs))  # node -> its array
        for call in self.calls:  # a topological order: the values a call takes are ready before it runs
            ys = call.layer(*[values[node] for node in call.inputs])
            values.update(zip(call.outputs, several(ys, len(call.outputs), call)))
        ys = [values[node] for node in self.outputs]
        self.save_for_backward([y.shape for y in ys])  # for zeros where an output is given no gradient
        return ys[0] if len(ys) == 1 else tuple(ys)

    def backward(self, dy):
        grads = {}  # node -> the gradient of the loss with respect to its value
        for node, dy_out in zip(self.outputs, self.output_grads(dy)):  # (a node may be two outputs)
            grads[node] = grads[node] + dy_out if node in grads else dy_out
        for call in reversed(self.calls):  # every call that takes a node runs before the call that made it
            dys = [grads.pop(node, None) for node in call.outputs]
            dxs = call.layer.backward(dys[0] if len(dys) == 1 else tuple(dys))
            for node, dx in zip(call.inputs, several(dxs, len(call.inputs), call)):
                if dx is not None:  # a node that feeds several calls gets the sum of their gradients
                    grads[node] = grads[node] + dx if node in grads else dx
        dxs = [grads.get(node) for node in self.inputs]
        return dxs[0] if len(dxs) == 1 else tuple(dxs)

    def output_grads(self, dy):
        """One gradient per output; zeros for an output given None, so that every call's backward runs."""
        shapes = self.pop_saved()
        if dy is None:  # nothing after this graph needs a gradient (calls.py): none flows in
            return []
        dys = dy if len(shapes) > 1 else (dy,)
        return [np.zeros(shape, self.dtype) if d is None else d for d, shape in zip(dys, shapes)]

    @property
    def arity(self):  # how many inputs it takes, when it is called on nodes in another graph
        return len(self.inputs), len(self.inputs)

    @property
    def n_outputs(self):
        return len(self.outputs)

    checks_every_input = False  # its inputs go to its layers as they are: they check them

    def as_input(self, x):
        return x if type(x) is np.ndarray else np.asarray(x)  # each layer checks the rest (an Embedding takes integers)

    def named_members(self):
        return zip(self.layer_names, self.layers)

    def holds_members(self):
        return bool(self.layers)

    def input_shapes(self):
        """A guess of one sample's shape for each input (None where no layer tells), as `sample_shape`."""
        return guess_input_shapes(self)

    def summary(self, input_shape=None):
        """A table of the nodes: each node's layer, output shape, parameter count and the nodes it takes.

        `input_shape` is one sample's shape (an int `n` means `(n,)`), or a list of them, one per input in
        the order of `inputs`. By default each input's shape is guessed from the layer that takes it.
        """
        return graph_summary(self, input_shape)

    def __deepcopy__(self, memo):
        """A copy sharing nothing with this graph: its layers copied, and its calls made again on new nodes
        (copying node by node would recurse as deep as the graph is long)."""
        layers = {id(layer): copy.deepcopy(layer, memo) for layer in self.layers}
        nodes = {node: Input(node.name) for node in self.inputs}
        for call in self.calls:
            outputs = layers[id(call.layer)](*[nodes[node] for node in call.inputs])
            nodes.update(zip(call.outputs, outputs if len(call.outputs) > 1 else (outputs,)))
        twin = memo[id(self)] = type(self)([nodes[node] for node in self.inputs], [nodes[node] for node in self.outputs])
        for name, value in vars(self).items():  # the rest of its state: mode, dtype, buffers
            if name not in vars(twin):
                setattr(twin, name, copy.deepcopy(value, memo))
        return twin

    def extra_repr(self):
        names = self.names
        return f"{', '.join(names[n] for n in self.inputs)} -> {', '.join(names[n] for n in self.outputs)}"

    def __repr__(self):
        return graph_repr(self)


def several(values, n, call):
    """What a call gave for its `n` outputs (or input gradients) as a tuple of `n` (None: no gradient for any)."""
    if n == 1:
        return (values,)
    if values is None:
        return (None,) * n
    if type(values) is not tuple or len(values) != n:
        raise ValueError(f"{short_repr(call.layer)}: expected a tuple of {n} arrays, got {checks.describe(values)}")
    return values


def node_list(what, nodes):
    """`nodes` (a node, or a list or tuple of them) as a list, or a `TypeError` naming what is not a node."""
    items = list(nodes) if isinstance(nodes, (list, tuple)) else [nodes]
    if not items:
        raise ValueError(f"Graph: {what} is empty; give at least one node")
    for i, item in enumerate(items):
        if not isinstance(item, Node):
            raise TypeError(
                f"Graph: {what}[{i}] is {checks.describe(item)}, not a node; make nodes by calling layers on tg.Input()"
            )
    return items


def calls_between(inputs, outputs):
    """The calls that compute `outputs` from `inputs`, in the order they were made: a topological order.

    Found by walking back from each output. Reaching an `Input` that is not among `inputs` (the node
    belongs to another graph), or never reaching one of `inputs`, is a `ValueError` naming the node.
    """
    found, reached = {}, set()
    for output in outputs:
        stack = [output]
        while stack:
            node = stack.pop()
            if node.call is None:
                if node not in inputs:
                    raise ValueError(
                        f"Graph: the output {output!r} is not computed from the given inputs: it needs {node!r}, "
                        f"which is not among inputs {inputs} (a node of another graph?)"
                    )
                reached.add(node)
            elif node.call not in found:
                found[node.call] = True
                stack.extend(node.call.inputs)
    for node in inputs:
        if node not in reached:
            raise ValueError(f"Graph: the input {node!r} is never used: no output is computed from it")
    return sorted(found, key=lambda call: call.number)


def name_nodes(inputs, calls):
    """`{node or call: name}`. Inputs keep their names (else `input`, `input_1`, ...); a layer's first call is
    named by the layer's kind (`dense`, `dense_1`, ...), its later calls `dense[1]`, `dense[2]`, ...; the
    nodes of a call are named as the call, with `:0`, `:1`, ... when it has several outputs."""
    names, taken = {}, {node.name for node in inputs if node.name is not None}
    suffixes = {}  # base -> the last suffix tried: names below it are all taken, so the search goes on from there

    def fresh(base):
        i = suffixes.get(base, 0)
        name = f"{base}_{i}" if i else base
        while name in taken:
            i += 1
            name = f"{base}_{i}"
        taken.add(name)
        suffixes[base] = i
        return name

    for node in inputs:
        names[node] = node.name or fresh("input")
    layer_names, uses = {}, {}
    for call in calls:
        key = id(call.layer)
        if key not in layer_names:
            layer_names[key] = fresh(type(call.layer).__name__.lower())
        uses[key] = uses.get(key, -1) + 1
        names[call] = layer_names[key] + (f"[{uses[key]}]" if uses[key] else "")
        for node in call.outputs:
            names[node] = names[call] + (f":{node.index}" if len(call.outputs) > 1 else "")
    return names
