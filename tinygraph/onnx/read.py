"""Reading an ONNX file from a stranger: bounded, and nothing in it is run.

`read_model` opens only a regular file of at most `MAX_BYTES` (a FIFO or `/dev/zero` is refused at
once), parses it as the protobuf message it must be, and never follows a tensor's "external data" to
another file. `FileGraph` then checks what the importer relies on: one opset of the standard domain
that tinygraph reads, at most `MAX_NODES` nodes in topological order (no node takes a value before
it is computed, so there is no cycle to walk forever), tensors whose data is really there (`array`
reads each one after checking its claimed size against the bytes it holds), and it folds a
`Transpose` of a constant into a constant.
"""

import math

import numpy as np

from ..npz import open_regular
from .proto import IMPORT_OPSETS, NUMPY_TYPES, TYPE_NAMES

MAX_BYTES = 1 << 30  # 1 GiB: protobuf cannot hold a message of 2 GiB anyway
MAX_NODES = 100_000


def read_model(onnx, path):
    """The ModelProto in the file `path`; `ValueError` (with the reason) if it is not an ONNX model."""
    with open_regular(path) as file:
        data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"it is larger than {MAX_BYTES >> 20} MiB")
    proto = onnx.ModelProto()
    try:
        proto.ParseFromString(data)
    except Exception as error:  # protobuf's DecodeError, or its RecursionError for a message nested too deep
        raise ValueError(f"it is not an ONNX model (protobuf: {' '.join(str(error).split())[:120] or type(error).__name__})") from None
    if not proto.HasField("graph") or not proto.graph.node:
        raise ValueError("it is not an ONNX model (it has no graph of nodes)")
    return proto


class FileGraph:
    """The graph of a ModelProto as the importer reads it: its values, who computes and who takes each."""

    def __init__(self, proto, where):
        self.where = where  # "import_onnx: PATH", the start of every error
        graph = proto.graph
        if len(graph.node) > MAX_NODES:
            raise ValueError(f"{where}: the graph has {len(graph.node):,} nodes; at most {MAX_NODES:,} are read")
        if graph.sparse_initializer:
            raise ValueError(f"{where}: sparse initializers are not supported")
        self.opset = standard_opset(proto, where)
        self.constants = {t.name: array(t, where) for t in graph.initializer}
        self.keys = {name: name for name in self.constants}  # what a constant is, to tell shared weights apart
        self.inputs = [value.name for value in graph.input if value.name not in self.constants]
        self.outputs = [value.name for value in graph.output]
        types = {value.name: value.type.tensor_type.elem_type for value in graph.input}
        for name in self.inputs:
            if types[name] not in NUMPY_TYPES:
                raise ValueError(f"{where}: the input {name!r:.80} has data type {types[name]}; tinygraph reads "
                                 f"{', '.join(TYPE_NAMES.values())}")
        if len(set(self.inputs)) != len(self.inputs) or "" in self.inputs:
            raise ValueError(f"{where}: the graph's inputs need names of their own, got {self.inputs[:8]}")
        self.nodes, self.producers, self.takers = [], {}, {}  # value -> the node computing it, the nodes taking it
        known = set(self.inputs) | set(self.constants)
        for node in graph.node:
            for name in node.input:
                if name and name not in known:
                    raise ValueError(f"{where}: {node.op_type} node {self.node_name(node)} takes {name!r:.80}, which no "
                                     "earlier node computes (the nodes must be in topological order)")
            if self.fold(node):
                known.update(node.output)
                continue
            for name in node.output:
                if name in known:
                    raise ValueError(f"{where}: the value {name!r:.80} is computed twice")
                self.producers[name] = node
            known.update(name for name in node.output if name)
            self.nodes.append(node)
            for name in node.input:
                self.takers.setdefault(name, []).append(node)
        for name in self.outputs:
            if name not in known or name in self.constants:
                raise ValueError(f"{where}: the output {name!r:.80} is not computed from the graph's inputs")

    def fold(self, node):
        """Whether `node` makes a constant (a Constant, or a Transpose of a constant), now in `constants`."""
        if node.domain not in ("", "ai.onnx") or len(node.output) != 1:
            return False
        if node.op_type == "Constant":
            values = {a.name: a for a in node.attribute}
            if set(values) != {"value"}:
                raise ValueError(f"{self.where}: Constant node {self.node_name(node)}: only a tensor `value` is read, "
                                 f"got {sorted(values)}")
            self.constants[node.output[0]] = array(values["value"].t, self.where)
            self.keys[node.output[0]] = None  # a constant of its own: never shared with another node's
            return True
        if node.op_type == "Transpose" and len(node.input) == 1 and node.input[0] in self.constants:
            source = self.constants[node.input[0]]
            perms = [a.ints for a in node.attribute if a.name == "perm"]
            perm = list(perms[0]) if perms else list(range(source.ndim))[::-1]
            if len(node.attribute) > len(perms) or sorted(perm) != list(range(source.ndim)):
                raise ValueError(f"{self.where}: Transpose node {self.node_name(node)}: a bad perm {perm[:8]}")
            self.constants[node.output[0]] = source.transpose(perm)
            key = self.keys[node.input[0]]
            self.keys[node.output[0]] = None if key is None else ("Transpose", tuple(perm), key)
            return True
        return False

    def producer(self, value):
        return self.producers.get(value)

    def constant(self, value):
        return self.constants.get(value)

    def consumers(self, value, outside=()):
        """How many nodes (and graph outputs) take `value`, not counting nodes in `outside` (a set of ids)."""
        takers = sum(1 for node in self.takers.get(value, ()) if id(node) not in outside)
        return takers + self.outputs.count(value)

    def attributes(self, node):
        return {a.name: a for a in node.attribute}

    def node_name(self, node):
        return repr(node.name[:80]) if node.name else f"#{next(i for i, n in enumerate(self.nodes + [node]) if n is node)} (unnamed)"


def standard_opset(proto, where):
    """The opset of the standard domain the file imports, if tinygraph reads it; else a `ValueError`."""
    versions = [entry.version for entry in proto.opset_import if entry.domain in ("", "ai.onnx")]
    if len(versions) != 1:
        raise ValueError(f"{where}: the model imports the standard opset {len(versions)} times; expected once")
    if versions[0] not in IMPORT_OPSETS:
        raise ValueError(f"{where}: opset {versions[0]} is not supported (tinygraph reads opsets {IMPORT_OPSETS[0]} to "
                         f"{IMPORT_OPSETS[-1]}); export the model again with an opset in that range")
    return versions[0]


def array(tensor, where):
    """The NumPy array a TensorProto holds, read only after its claimed size is checked against its data."""
    name = repr(tensor.name[:80])
    if tensor.data_type not in NUMPY_TYPES:
        raise ValueError(f"{where}: the tensor {name} has data type {tensor.data_type}; tinygraph reads "
                         f"{', '.join(TYPE_NAMES.values())}")
    if tensor.data_location != 0 or tensor.external_data:
        raise ValueError(f"{where}: the tensor {name} keeps its data in another file, which import_onnx never reads "
                         "(write the weights inside the file: torch.onnx.export(..., external_data=False), or "
                         "onnx.save(model, path, save_as_external_data=False))")
    if tensor.HasField("segment") or any(size < 0 for size in tensor.dims) or len(tensor.dims) > 32:
        raise ValueError(f"{where}: the tensor {name} has a bad shape {list(tensor.dims)[:8]}")
    dtype = NUMPY_TYPES[tensor.data_type]
    fields = {1: tensor.float_data, 11: tensor.double_data, 7: tensor.int64_data, 6: tensor.int32_data}
    stored = len(tensor.raw_data) // dtype.itemsize if tensor.raw_data else len(fields[tensor.data_type])
    count = math.prod(tensor.dims)
    if count != stored or (tensor.raw_data and len(tensor.raw_data) != count * dtype.itemsize):
        raise ValueError(f"{where}: the tensor {name} claims {count:,} values of shape {list(tensor.dims)[:8]} but holds {stored:,}")
    values = np.frombuffer(tensor.raw_data, dtype) if tensor.raw_data else np.array(fields[tensor.data_type], dtype)
    values = values.reshape(tuple(tensor.dims))
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise ValueError(f"{where}: the tensor {name} holds NaN or Inf")
    return values.astype(values.dtype.newbyteorder("="))
