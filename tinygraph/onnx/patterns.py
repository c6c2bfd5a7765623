"""Small ONNX graphs written once and used both ways: export writes them, import recognises them.

A layer with no ONNX operator of its own is a few operators: SiLU is `x · Sigmoid(x)`, a Softplus with
`beta` and `threshold` is five. Such a form is an expression of `Op`s over the input `X` and constants:

    SILU = Op("Mul", X, Op("Sigmoid", X))

`emit(pattern, g, x, **constants)` writes it into an export (`g` is the export's builder), and
`match(pattern, value, graph)` finds it in a file being imported, ending at `value`, and returns the
constants it holds. A sub-expression used twice (`Op` objects are compared by identity) is one node.
"""

import numpy as np

from .proto import decimal


class Op:
    """A node `op_type(*inputs, **attributes)` of a pattern; its inputs are `X`, `Const`s or other `Op`s."""

    def __init__(self, op_type, *inputs, **attributes):
        self.op_type, self.inputs, self.attributes = op_type, inputs, attributes

    commutative = property(lambda self: self.op_type in ("Add", "Mul"))


class Const:
    """A constant of a pattern: named (its value given when the pattern is emitted, and found when it is
    matched), or fixed (`value`: a number the pattern always holds, such as GELU's 0.044715). A named
    constant is a number unless `array` (then any array: a weight)."""

    def __init__(self, name, value=None, array=False):
        self.name, self.value, self.array = name, value, array


X = object()  # the input of the layer a pattern stands for


def emit(pattern, g, x, **constants):
    """Write `pattern` with the builder `g` on the input value `x`; return the name of its output."""
    made = {}

    def value(part):
        if part is X:
            return x
        if id(part) not in made:
            if isinstance(part, Const):
                number = part.value if part.value is not None else constants[part.name]
                made[id(part)] = g.constant(np.array(number, dtype=g.dtype), part.name)
            else:
                made[id(part)] = g.op(part.op_type, *map(value, part.inputs), **part.attributes)
        return made[id(part)]

    return value(pattern)


def match(pattern, value, graph):
    """`(constants, nodes)` if the nodes of `graph` computing `value` are `pattern`, else None.

    `graph` tells `producer(value)` (the node computing it, or None), `constant(value)` (its array, or
    None) and `consumers(value)` (how many nodes take it, graph outputs counted). Every value inside the
    match must be taken only by nodes of the match, so that it can become one layer. `constants` maps
    each named `Const` to its number, and `"x"` to the input value.
    """
    bound, nodes = {}, []

    def fits(part, value):
        if part is X:
            return bound.setdefault("x", value) == value
        if isinstance(part, Const):
            array = graph.constant(value)
            if array is not None and part.array:
                return bound.setdefault(part.name, array) is array
            if array is None or array.size != 1:
                return False
            number = decimal(array)
            if part.value is not None:
                return bool(np.isclose(number, part.value, rtol=1e-6, atol=0))
            return bound.setdefault(part.name, number) == number
        node = graph.producer(value)
        if node is None or node.op_type != part.op_type or node.domain not in ("", "ai.onnx"):
            return False
        if len(node.input) != len(part.inputs) or graph.attributes(node) != part.attributes:
            return False
        orders = [part.inputs, part.inputs[::-1]] if part.commutative else [part.inputs]
        for order in orders:
            saved = dict(bound), len(nodes)
            if all(fits(p, v) for p, v in zip(order, node.input)):
                nodes.append(node)
                return True
            bound.clear()
            bound.update(saved[0])
            del nodes[saved[1]:]
        return False

    if not fits(pattern, value):
        return None
    inside = {id(node) for node in nodes}
    for node in nodes:
        for output in node.output:
            if output != value and graph.consumers(output, outside=inside):
                return None  # an inner value that something else uses too
    return bound, nodes
