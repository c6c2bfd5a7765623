"""`import_onnx`: an ONNX model as tinygraph layers, to gradcheck, trace, explain and fine-tune.

The file is read safely (`read.py`), then each node becomes a layer: first the patterns, the few
nodes that together are one layer (`MatMul` and the `Add` of its bias, `x · Sigmoid(x)`, ...), found
from the end of the graph backwards so that the larger ones win; then each other node by its
operator's converter. Nodes that use the same weights (the same initializers, with the same
settings) become one layer, so weight sharing survives. The layers are joined as the file joins
them: a chain of one input and one output is a `Sequential`, anything else a `Graph`. The model is
returned in eval mode, float64: every float32 value is exact in float64, and `.astype(np.float32)`
converts it.
"""

from ..containers import Sequential
from ..graph import Graph
from ..layers import Identity
from ..nodes import Input
from ..npz import as_path
from . import containers, dense, images, pointwise, shape
from .node import NodeReader, Refused
from .patterns import match
from .proto import need_onnx
from .read import FileGraph, read_model

CONVERTERS = {**dense.IMPORTERS, **pointwise.IMPORTERS, **shape.IMPORTERS, **images.IMPORTERS, **containers.IMPORTERS}
PATTERNS = dense.PATTERNS + pointwise.PATTERNS


def import_onnx(path):
    """The model in the ONNX file `path` as a tinygraph `Sequential` (a chain) or `Graph`, in eval mode.

    Reads the operators tinygraph's layers are (see docs/outgrow.md for the list), at opsets 13 to 25.
    An operator, attribute or opset it cannot follow is a `ValueError` naming it and the node; a file
    that is not an ONNX model, too large, or hostile, a `ValueError` naming the path. Nothing in the
    file is run, and no other file is read.
    """
    onnx = need_onnx("import_onnx")
    path = as_path(path, "import_onnx")
    try:
        proto = read_model(onnx, path)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except (ValueError, OSError) as error:
        raise ValueError(f"import_onnx: {path} is not a readable ONNX model: {error}") from None
    graph = FileGraph(proto, f"import_onnx: {path}")
    try:
        return assemble(graph, operations(graph)).eval()
    except Refused as error:  # a plain ValueError for the caller: Refused only tells converters' errors apart
        raise ValueError(str(error)) from None


def operations(graph):
    """`[(layer, input names, output name)]`, one per layer, in the file's order (a topological one)."""
    fused, inside = {}, set()
    for node in reversed(graph.nodes):
        if id(node) not in inside:
            for number, (pattern, make) in enumerate(PATTERNS):
                found = match(pattern, node.output[0], graph) if pattern.op_type == node.op_type else None
                layer = found and guarded(graph, node, make, found[0])
                if layer is not None:
                    constants, nodes = found
                    inside.update(id(n) for n in nodes)
                    fused[id(node)] = layer, [constants["x"]], ("pattern", number, sharing_key(graph, nodes))
                    break
    ops, shared = [], {}
    for node in graph.nodes:
        if id(node) in fused:
            layer, inputs, key = fused[id(node)]
        elif id(node) in inside:
            continue
        else:
            layer, inputs = convert(graph, node)
            key = (node.op_type, sharing_key(graph, [node]))
        if key[-1] is not None:
            layer = shared.setdefault(key, layer)
        ops.append((layer, inputs, node.output[0]))
    return ops


def convert(graph, node):
    """The layer a single node is, and the values it takes, or a `ValueError` naming the node."""
    converter = CONVERTERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
    if converter is None:
        name = f"{node.domain}.{node.op_type}" if node.domain not in ("", "ai.onnx") else node.op_type
        raise Refused(f"{graph.where}: {name} node {graph.node_name(node)}: tinygraph cannot import the operator {name} "
                      f"(it reads {', '.join(sorted(CONVERTERS))}, and Constant)")
    return guarded(graph, node, converter, NodeReader(node, graph))


def guarded(graph, node, make, argument):
    """`make(argument)`, with an error of a layer's constructor (a bad setting in the file) naming the node."""
    try:
        return make(argument)
    except Refused:
        raise
    except (ValueError, TypeError) as error:
        raise ValueError(f"{graph.where}: {node.op_type} node {graph.node_name(node)}: {error}") from None


def sharing_key(graph, nodes):
    """What identifies the weights of `nodes`: their constant inputs and settings; None if they have none
    that could be shared (no constants, or constants of their own)."""
    parts = []
    for node in nodes:
        keys = [graph.keys.get(name) for name in node.input if graph.constant(name) is not None]
        if not keys or None in keys:
            continue
        parts.append((tuple(keys), tuple((a.name, a.SerializeToString()) for a in node.attribute)))
    return tuple(parts) or None


def assemble(graph, ops):
    """The layers joined as the file joins them: a `Sequential` for a chain, else a `Graph`."""
    uses = {}
    for _, inputs, _ in ops:
        for name in inputs:
            uses[name] = uses.get(name, 0) + 1
    for name in graph.outputs:
        uses[name] = uses.get(name, 0) + 1
    value = graph.inputs[0] if len(graph.inputs) == 1 else None
    for layer, inputs, output in ops:
        value = output if value is not None and inputs == [value] and uses[value] == 1 else None
    if value is not None and graph.outputs == [value]:
        return Sequential(*(layer for layer, _, _ in ops))
    nodes = {name: Input(name) for name in graph.inputs}
    for layer, inputs, output in ops:
        nodes[output] = layer(*(nodes[name] for name in inputs))
    outputs = []
    for name in graph.outputs:  # an output that is an input, or an output twice: a call of its own
        outputs.append(Identity()(nodes[name]) if name in graph.inputs or nodes[name] in outputs else nodes[name])
    try:
        return Graph([nodes[name] for name in graph.inputs], outputs)
    except ValueError as error:
        raise ValueError(f"{graph.where}: {error}") from None
