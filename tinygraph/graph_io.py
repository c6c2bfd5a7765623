"""A graph's wiring in a model file (`tinygraph.io`): which layer each call runs and which nodes it takes.

The graph's layers are written as its children (`"layers"`, each once); its wiring as plain JSON:

    {"inputs": ["a", null], "calls": [[0, [0]], [0, [1]], [1, [2, 3]]], "outputs": [4]}

Nodes are numbered inputs first, then the outputs of each call in order; a call is `[the index of
its layer among the children, [the numbers of the nodes it takes]]`. A layer called twice appears
in two calls with one index: the sharing survives the round trip.
"""

from .graph import Graph
from .nodes import Input


def wiring(graph):
    """The JSON-ready wiring of `graph`: its inputs' names, its calls and its outputs."""
    numbers = {node: i for i, node in enumerate(graph.inputs)}
    index = {id(layer): i for i, layer in enumerate(graph.layers)}
    calls = []
    for call in graph.calls:
        calls.append([index[id(call.layer)], [numbers[node] for node in call.inputs]])
        numbers.update((node, len(numbers)) for node in call.outputs)
    return {"inputs": [node.name for node in graph.inputs], "calls": calls,
            "outputs": [numbers[node] for node in graph.outputs]}


def graph_from(config, children):
    """The `Graph` a wiring describes, its calls made on `children` (the layers read from the file).

    Anything malformed is a `ValueError`; the graph's own checks (every input used, every output
    computed from the inputs) apply as when a user builds it.
    """
    wired = config["wiring"]
    if not isinstance(wired, dict) or set(wired) != {"inputs", "calls", "outputs"}:
        raise ValueError("Graph.wiring must be an object with the keys inputs, calls and outputs")
    names = _list(wired["inputs"], "inputs")
    if not all(name is None or (isinstance(name, str) and name) for name in names):
        raise ValueError("Graph.wiring.inputs must hold names (strings) or null")
    nodes = [Input(name) for name in names]
    for call in _list(wired["calls"], "calls"):
        if not isinstance(call, list) or len(call) != 2:
            raise ValueError(f"a call in Graph.wiring must be [layer, [nodes]], got {call!r:.80}")
        layer = children[_index(call[0], len(children), "layer")]
        outputs = layer(*[nodes[_index(i, len(nodes), "node")] for i in _list(call[1], "a call's nodes")])
        nodes.extend(outputs if isinstance(outputs, tuple) else [outputs])
    outputs = [nodes[_index(i, len(nodes), "node")] for i in _list(wired["outputs"], "outputs")]
    return Graph(nodes[: len(names)], outputs)


def json_object(value):
    """True for what JSON calls an object (the check of the wiring before `graph_from` reads it)."""
    return isinstance(value, dict)


def _list(value, what):
    if not isinstance(value, list):
        raise ValueError(f"Graph.wiring: {what} must be a list, got {value!r:.80}")
    return value


def _index(value, n, what):
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < n:
        raise ValueError(f"Graph.wiring: {what} number {value!r:.20} is not in [0, {n})")
    return value
