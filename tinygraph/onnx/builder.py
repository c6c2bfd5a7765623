"""`Builder`: what a layer's exporter writes the ONNX graph with, the `g` of `to_onnx(self, g, *xs)`.

Values are named by strings. Each layer is exported by one function `(layer, g, *xs) -> y` (several
outputs: a tuple): the built-in ones in this package, a user's layer by its own `to_onnx` method. It
adds nodes with `g.op`, its arrays with `g.constant`, and a sub-layer with `g.layer`, which exports
that layer in turn (a container's exporter is a loop over `g.layer`).

Names follow PyTorch's exporter: an array is an initializer named as in the model's `state_dict()`
(`"0.weight"`, `"2.running_mean"`), a node `/0/Gemm`, a value `/0/Gemm_output_0`. An array exported
twice under one name (a layer used twice) is written once, so weight sharing stays in the file.
"""

import numpy as np

from ..inference import inference
from .proto import onnx_type


class Builder:
    """The nodes, initializers and value shapes of an export in progress (see the module docstring).

    `g.dtype` is the export's float dtype, `g.opset` its opset; `g.shape(x)` is one sample's shape of a
    value a layer is given (from a forward of zeros that runs beside the export).
    """

    def __init__(self, onnx, model, dtype, opset, exporter_of):
        self.onnx, self.dtype, self.opset = onnx, np.dtype(dtype), opset
        self.exporter_of = exporter_of  # (layer, its path) -> its export function, or a TypeError naming it
        self.paths = {id(layer): path for path, layer in model.named_layers()}
        self.path = ""  # the path of the layer being exported, "" for the model
        self.nodes, self.initializers, self.examples, self.names, self.suffixes = [], {}, {}, set(), {}

    def op(self, op_type, *inputs, outputs=1, **attributes):
        """Add the node `op_type(*inputs, **attributes)`; return the name of its output (a tuple of
        `outputs` names when that is not 1). An input may be "" (an optional input left out);
        attributes are Python values (ints, floats, strings, lists of them), as `onnx.helper.make_node`
        takes them."""
        base = f"/{self.path.replace('.', '/')}/{op_type}" if self.path else f"/{op_type}"
        name = self.fresh(base)
        names = [self.fresh(f"{name}_output_{i}") for i in range(outputs)]
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), names, name=name, **attributes))
        return names[0] if outputs == 1 else tuple(names)

    def constant(self, array, name):
        """An initializer holding `array` (floats in the export's dtype, integers as int64), named
        `"<layer path>.<name>"`; return its name. The same name twice is one initializer."""
        full = f"{self.path}.{name}" if self.path else name
        if full not in self.initializers:
            array = np.asarray(array)
            array = array.astype(np.int64 if array.dtype.kind in "iub" else self.dtype)
            self.initializers[full] = self.onnx.numpy_helper.from_array(array, full)
            self.names.add(full)
        return full

    def layer(self, layer, *xs):
        """Export `layer` on the values `xs`; return its output's name (a tuple for several outputs)."""
        export = self.exporter_of(layer, self.paths.get(id(layer), self.path))
        outer, self.path = self.path, self.paths.get(id(layer), self.path)
        try:
            ys = export(layer, self, *xs)
        finally:
            self.path = outer
        if any(name not in self.examples for name in (ys if isinstance(ys, tuple) else (ys,))):
            with inference():  # in eval mode and keeping nothing, as predict runs
                values = layer(*(self.examples[x] for x in xs))
            self.examples.update(zip(ys, values) if isinstance(ys, tuple) else [(ys, values)])
        return ys

    def shape(self, x):
        """The shape of one sample of the value `x` (its batch axis left out)."""
        return self.examples[x].shape[1:]

    def fresh(self, base):
        """`base`, or `base_1`, `base_2`, ... : a name not yet used in this export."""
        i = self.suffixes.get(base, 0)  # the names below it are all taken: a layer used n times costs n, not n²
        name = f"{base}_{i}" if i else base
        while name in self.names:
            i += 1
            name = f"{base}_{i}"
        self.names.add(name)
        self.suffixes[base] = i
        return name

    def value_info(self, name, example):
        """The type of a graph input or output: its dtype and its shape, with a dynamic batch axis."""
        elem = onnx_type(example.dtype if example.dtype.kind in "iub" else self.dtype)
        return self.onnx.helper.make_tensor_value_info(name, elem, ["batch", *example.shape[1:]])
