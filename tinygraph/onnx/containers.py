"""Containers, graphs and the merge layers in ONNX: how values flow between layers.

A container has no operator of its own: its exporter exports its children (`g.layer`) on the right
values and joins them as its forward does, `Residual` with an `Add`, `Parallel` with a `Concat` or
`Add`s. A `Graph` exports each of its calls in order. Import makes a `Graph` (or a `Sequential` for a
chain) from the nodes, so only the merges come back as layers of their own:

    Add, Multiply     Add, Mul (two inputs each: a merge of three is two nodes)   import also reads Sum
    Concat(axis)      Concat(axis)                                                  a Concat of one value is Identity
"""

from ..containers import Parallel, Residual, Sequential
from ..graph import Graph
from ..layers import Add, Concat, Identity, Multiply


def export_sequential(layer, g, x):
    for child in layer.layers:
        x = g.layer(child, x)
    return x


def export_parallel(layer, g, x):
    ys = [g.layer(branch, x) for branch in layer.layers]
    if layer.merge == "concat" and len(ys) > 1:  # a concat of one branch is that branch
        return g.op("Concat", *ys, axis=layer.axis)
    return chain(g, "Add", ys)


def export_graph(layer, g, *xs):
    values = dict(zip(layer.inputs, xs))
    for call in layer.calls:
        ys = g.layer(call.layer, *(values[node] for node in call.inputs))
        values.update(zip(call.outputs, ys if isinstance(ys, tuple) else (ys,)))
    ys = tuple(values[node] for node in layer.outputs)
    return ys[0] if len(ys) == 1 else ys


def chain(g, op_type, xs):
    """`op_type(op_type(x_1, x_2), x_3)...`: a merge of several inputs as binary nodes."""
    y = xs[0]
    for x in xs[1:]:
        y = g.op(op_type, y, x)
    return y


EXPORTERS = {
    Sequential: export_sequential,
    Residual: lambda layer, g, x: g.op("Add", x, g.layer(layer.layer, x)),
    Parallel: export_parallel,
    Graph: export_graph,
    Add: lambda layer, g, *xs: chain(g, "Add", xs),
    Multiply: lambda layer, g, *xs: chain(g, "Mul", xs),
    Concat: lambda layer, g, *xs: g.op("Concat", *xs, axis=layer.axis),
}


def import_merge(cls, fewest=2):
    def convert(node):
        if len(node.inputs) < fewest:
            node.fail(f"it merges {len(node.inputs)} value(s); tinygraph's {cls.__name__} takes {fewest} or more")
        return node.done(cls(), *node.values(*range(len(node.inputs))))

    return convert


def import_concat(node):
    axis = node.attribute("axis", 0)
    if axis == 0 or not node.inputs:
        node.fail(f"it joins {len(node.inputs)} value(s) along axis {axis}; tinygraph's Concat joins values "
                  "along an axis other than the batch axis 0")
    if len(node.inputs) == 1:  # valid ONNX, and the value itself
        return node.done(Identity(), *node.values(0))
    return node.done(Concat(axis), *node.values(*range(len(node.inputs))))


IMPORTERS = {"Add": import_merge(Add), "Sum": import_merge(Add), "Mul": import_merge(Multiply), "Concat": import_concat}
