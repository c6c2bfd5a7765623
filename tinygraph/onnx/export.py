"""`export_onnx`: a model as an ONNX file, for onnxruntime, PyTorch and the rest of the ONNX world.

The file computes what `model.predict` computes (eval mode: BatchNorm's running statistics, Dropout
the identity), with a dynamic batch axis. Each layer is written by its exporter (`exporter_of`): the
built-in ones in this package's family modules, a user's layer by its own `to_onnx(g, *xs)` method (see
`builder.py` for `g`). The model passes `onnx.checker.check_model` before anything is written, and
the file is written atomically.
"""

import numpy as np

from .. import checks
from ..layer import Layer
from ..nodes import arity
from ..npz import as_path, check_writable, write_atomically
from . import containers, dense, images, pointwise, shape
from .builder import Builder
from .proto import DEFAULT_OPSET, EXPORT_OPSETS, need_onnx

EXPORTERS = {**dense.EXPORTERS, **pointwise.EXPORTERS, **shape.EXPORTERS, **images.EXPORTERS, **containers.EXPORTERS}


def export_onnx(model, path, input_shape=None, dtype=np.float32, opset=None):
    """Write `model` to `path` as an ONNX model; return `path`.

    `input_shape` is one sample's shape (an int `n` means `(n,)`), or a list of them for a graph of
    several inputs; by default the model's own when its first layer tells (`Dense` does). Every axis
    but the batch is fixed at these sizes. `dtype` (np.float32 or np.float64) is the type of the
    floats in the file; an input taken by an `Embedding` is int64. `opset` is the ONNX opset
    (default 20; 17 to 25).
    """
    onnx = need_onnx("export_onnx")
    if not isinstance(model, Layer):
        raise TypeError(f"export_onnx: model must be a tinygraph Layer, got {checks.describe(model)}")
    path = as_path(path, "export_onnx")
    dtype = np.dtype(dtype) if isinstance(dtype, (type, str, np.dtype)) else None
    if dtype not in (np.float32, np.float64):
        raise TypeError("export_onnx: dtype must be np.float32 or np.float64")
    opset = DEFAULT_OPSET if opset is None else checks.integer("export_onnx", "opset", opset)
    if opset not in EXPORT_OPSETS:
        raise ValueError(f"export_onnx: opset {opset} is not one tinygraph writes ({EXPORT_OPSETS[0]} to {EXPORT_OPSETS[-1]})")
    check_writable(path, "export_onnx")
    g = Builder(onnx, model, dtype, opset, exporter_of)
    names = input_names(model, input_shape)
    for name, example in zip(names, examples(model, input_shape, len(names))):
        g.names.add(name)
        g.examples[name] = example
    ys = g.layer(model, *names)
    proto = finish(onnx, g, names, ys if isinstance(ys, tuple) else (ys,), repr(model))
    try:
        onnx.checker.check_model(proto, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as error:
        raise ValueError(f"export_onnx: the ONNX model written for {model!r} is not valid ({first_line(error)}); "
                         "a to_onnx method of your own may have made it so") from None
    write_atomically(path, lambda file: file.write(proto.SerializeToString()), "export_onnx")
    return path


def exporter_of(layer, path):
    """The function that exports `layer` (at `path` in the model): its own `to_onnx` method, else tinygraph's
    for its class."""
    own = getattr(layer, "to_onnx", None)
    if callable(own):
        return lambda layer, g, *xs: own(g, *xs)
    export = EXPORTERS.get(type(layer))
    if export is None:
        raise TypeError(
            f"export_onnx: cannot export {f'layer {path!r}' if path else 'the model'}, {layer!r:.80}: {type(layer).__name__} is "
            "not a built-in layer and has no to_onnx(self, g, *xs) method; give it one (docs/outgrow.md)"
        )
    return export


def input_names(model, input_shape):
    """The names of the model's inputs: a graph's own (its `Input` names), `input` for a layer of one input,
    `input_0`, `input_1`, ... for a layer of several (a merge), as many as `input_shape` lists."""
    if hasattr(model, "inputs"):
        return [model.names[node] for node in model.inputs]
    if arity(model) == (1, 1):
        return ["input"]
    if not isinstance(input_shape, list):
        raise ValueError(f"export_onnx: {model!r:.80} takes several inputs; give input_shape as a list of their shapes")
    return [f"input_{i}" for i in range(len(input_shape))]


def examples(model, input_shape, n_inputs):
    """One zero sample per input, of the shape given or guessed: int64 indices for an `Embedding`'s input."""
    owner = "export_onnx"
    if input_shape is None:
        input_shape = [first_shape(layer) for layer in first_layers(model, n_inputs)]
        missing = [i for i, shape in enumerate(input_shape) if shape is None]
        if missing:
            which = "input shape" if n_inputs == 1 else f"shape of input {input_names(model, None)[missing[0]]!r}"
            raise ValueError(f"{owner}: cannot tell the {which} of {model!r:.120}; give one sample's shape, e.g. "
                             "input_shape=(1, 28, 28) for 28x28 images of one channel (a list of shapes for several inputs)")
    elif n_inputs > 1:
        if not isinstance(input_shape, list) or len(input_shape) != n_inputs:
            raise ValueError(f"{owner}: the model takes {n_inputs} inputs; input_shape must be a list of {n_inputs} shapes")
    else:
        input_shape = [input_shape]
    shapes = [as_shape(shape) for shape in input_shape]
    kinds = [np.int64 if type(layer).__name__ == "Embedding" else model.dtype for layer in first_layers(model, n_inputs)]
    return [np.zeros((1, *shape), dtype=kind) for shape, kind in zip(shapes, kinds)]


def as_shape(shape):
    """One sample's shape, `(n,)` for an int `n`, each size an int >= 1 (else a `ValueError`)."""
    sizes = shape if isinstance(shape, (tuple, list)) else (shape,)
    return tuple(checks.integer("export_onnx", "input_shape", size) for size in sizes)


def first_layers(model, n_inputs):
    """For each input, the first layer without children that takes it (None when it cannot be told)."""
    if hasattr(model, "inputs"):
        return [next((first_layers(call.layer, 1)[0] for call in model.calls if node in call.inputs), None)
                for node in model.inputs]
    layer = model
    while layer is not None and layer.holds_layers():
        layer = next((member for _, member in layer.named_members() if isinstance(member, Layer)), None)
        if layer is not None and hasattr(layer, "inputs"):
            return first_layers(layer, n_inputs)
    return [layer] * n_inputs


def first_shape(layer):
    """One sample's shape as `layer`, the first to take an input, tells it: `(in_features,)` for `Dense`."""
    width = getattr(layer, "in_features", None)
    return (int(width),) if isinstance(width, (int, np.integer)) and not isinstance(width, bool) else None


def finish(onnx, g, input_names, ys, doc):
    """The ModelProto: the graph's inputs and outputs (named `output`, or `output_0`, ... for several)."""
    outputs = ["output"] if len(ys) == 1 else [f"output_{i}" for i in range(len(ys))]
    renamed = {}
    for y, name in zip(ys, outputs):
        if y in input_names or y in renamed or y in g.initializers:  # not a node's own output: copy it
            g.nodes.append(onnx.helper.make_node("Identity", [y], [name], name=g.fresh(f"/{name}/Identity")))
        else:
            renamed[y] = name
    for node in g.nodes:
        node.output[:] = [renamed.get(name, name) for name in node.output]
        node.input[:] = [renamed.get(name, name) for name in node.input]
    graph = onnx.helper.make_graph(
        g.nodes, "tinygraph", [g.value_info(name, g.examples[name]) for name in input_names],
        [g.value_info(name, g.examples[y]) for y, name in zip(ys, outputs)], list(g.initializers.values()), doc_string=doc,
    )
    opsets = [onnx.helper.make_opsetid("", g.opset)]
    proto = onnx.helper.make_model(graph, opset_imports=opsets, producer_name="tinygraph", producer_version=version())
    proto.ir_version = onnx.helper.find_min_ir_version_for(opsets)  # the oldest that holds the opset: runs anywhere
    return proto


def version():
    from .. import __version__

    return __version__


def first_line(error):
    return " ".join(str(error).split("\n\n")[0].split())[:300]
