"""`NodeReader`: one node of a file being imported, as its converter reads it.

A converter (`node -> (layer, the values the layer takes)`) asks for each attribute it understands,
with its default and the values tinygraph can follow (`node.attribute`, `node.expect`), and for the
constant inputs it needs (`node.constant`). Whatever it does not ask for is refused at the end
(`node.done`): an attribute tinygraph does not know is a `ValueError` naming it, the operator and the
node, never silently ignored.
"""

import numpy as np

from .proto import decimal

KINDS = {1: "float", 2: "int", 3: "string", 6: "floats", 7: "ints"}  # AttributeProto types tinygraph reads


class Refused(ValueError):
    """A node tinygraph cannot read, with the message that names it (`NodeReader.fail`)."""


class NodeReader:
    """`node` (a NodeProto) of `graph` (the file's `FileGraph`), read by one converter (see the module docstring)."""

    def __init__(self, node, graph):
        self.node, self.graph, self.op_type = node, graph, node.op_type
        self.inputs = list(node.input)
        self.attributes = {a.name: a for a in node.attribute}
        self.taken = set()

    def fail(self, message):
        """Raise the `ValueError` of this node: `import_onnx: PATH: Conv node '/0/Conv': message`."""
        raise Refused(f"{self.graph.where}: {self.op_type} node {self.graph.node_name(self.node)}: {message}")

    def attribute(self, name, default):
        """The value of attribute `name` (a number, a string or a list of numbers), or `default` if absent."""
        self.taken.add(name)
        if name not in self.attributes:
            return default
        attribute = self.attributes[name]
        kind = KINDS.get(attribute.type)
        expected = "float" if isinstance(default, float) else "int" if isinstance(default, int) else None
        if kind is None or (expected and kind != expected) or (isinstance(default, list) and kind not in ("ints", "floats")):
            self.fail(f"attribute {name} has a type tinygraph does not read here ({attribute.type})")
        if kind == "string":
            return attribute.s.decode("utf-8", "replace")
        return {"float": decimal(attribute.f), "int": attribute.i, "floats": list(attribute.floats), "ints": list(attribute.ints)}[kind]

    def expect(self, name, *allowed, reason=""):
        """Attribute `name`, which must be one of `allowed` (its default is the first)."""
        value = self.attribute(name, allowed[0])
        if value not in allowed:
            self.fail(f"attribute {name}={value!r:.60} is not supported" + (f" ({reason})" if reason else ""))
        return value

    def constant(self, index, what):
        """Input `index` as an array: it must be a constant of the file (an initializer or a Constant)."""
        name = self.inputs[index] if index < len(self.inputs) else ""
        array = self.graph.constant(name) if name else None
        if array is None:
            self.fail(f"{what} (input {index}) must be a constant of the file, "
                      + (f"got the computed value {name!r:.60}" if name else "and it is missing"))
        return array

    def has(self, index):
        """Whether the optional input `index` is given."""
        return index < len(self.inputs) and self.inputs[index] != ""

    def values(self, *indices):
        """The names of inputs `indices`, which must be computed values (what the layer takes), not constants."""
        names = []
        for i in indices:
            if not self.has(i) or self.graph.constant(self.inputs[i]) is not None:
                self.fail(f"input {i} must be a value computed from the graph's inputs, not a constant "
                          "(tinygraph layers take no constant inputs)")
            names.append(self.inputs[i])
        return names

    def done(self, layer, *inputs):
        """`(layer, inputs)`, once no attribute is left that the converter did not read."""
        unread = sorted(set(self.attributes) - self.taken)
        if unread:
            self.fail(f"attribute {unread[0]} is not supported (tinygraph reads {', '.join(sorted(self.taken)) or 'none'} here)")
        return layer, list(inputs)


def bias_vector(node, array, n_out, what="bias"):
    """`array` as a vector of `n_out` values: `(n_out,)`, `(1, n_out)` and a single number broadcast to it."""
    if array.size == 1:
        return np.full(n_out, float(array.reshape(())))
    if array.size != n_out or array.shape[-1] != n_out:
        node.fail(f"the {what} has shape {array.shape}; expected ({n_out},)")
    return array.reshape(n_out)


def with_values(layer, **arrays):
    """`layer` with its parameters and buffers set to `arrays` (by name), converted to its dtype."""
    for name, array in arrays.items():
        target = getattr(layer, name)
        target = target.value if hasattr(target, "value") else target
        target[...] = np.asarray(array, dtype=target.dtype).reshape(target.shape)
    return layer
