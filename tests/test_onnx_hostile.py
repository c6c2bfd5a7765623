"""`import_onnx` on files from strangers: a model, or a `ValueError` that names the path, never a traceback of
another type, a hang, a huge allocation, or a read of another file.

The fuzz half (random bytes, damaged copies of a real export) joins `tests/test_fuzz.py`'s rule: the only
outcomes are a result or a documented error. It lives here because it needs onnx, and test_fuzz.py must
run without it. The hostile half builds each attack with `onnx.helper`; a FIFO and a tensor that claims
a terabyte run in a fresh Python limited in memory and time (`limits.run_limited`). Broken twins of the
reader (at the end) are caught by these tests.
"""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from limits import run_limited
from onnx_files import one_node_file, pytorch_files
from onnx_oracle import onnx

import tinygraph as tg
from tinygraph.onnx import read

helper, TensorProto = onnx.helper, onnx.TensorProto
FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    path = tmp_path_factory.mktemp("exported") / "model.onnx"
    model = tg.Sequential(tg.Conv2D(1, 2, 3, rng=0), tg.BatchNorm(2), tg.ReLU(), tg.MaxPool2D(2), tg.Flatten(), tg.Dense(8, 3, rng=1))
    tg.export_onnx(model, path, input_shape=(1, 6, 6))
    return path.read_bytes()


def imports_or_refuses(path):
    """Import `path`: a model, or a `ValueError` that starts with `import_onnx: PATH`; anything else fails the test."""
    try:
        return tg.import_onnx(path)
    except ValueError as error:
        assert str(error).startswith(f"import_onnx: {path}"), str(error)
        return None


@FUZZ
@given(st.binary(max_size=2000))
def test_random_bytes_are_refused_with_a_value_error_naming_the_path(tmp_path, data):
    path = tmp_path / "random.onnx"
    path.write_bytes(data)
    with pytest.raises(ValueError, match=f"import_onnx: {path}"):
        tg.import_onnx(path)


@FUZZ
@given(st.data())
def test_a_damaged_export_imports_or_is_refused_naming_the_path(tmp_path, exported, data):
    damaged = bytearray(exported)
    for _ in range(data.draw(st.integers(1, 4))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    path = tmp_path / "damaged.onnx"
    path.write_bytes(bytes(damaged[: data.draw(st.integers(1, len(damaged)))]))
    imports_or_refuses(path)


OPS = ["Gemm", "MatMul", "Add", "Conv", "MaxPool", "AveragePool", "BatchNormalization", "LayerNormalization", "Flatten",
       "Reshape", "Transpose", "Relu", "Softmax", "Gelu", "Dropout", "Concat", "Gather", "Identity", "Sum", "Mul"]


@FUZZ
@given(st.data())
def test_a_pytorch_style_file_with_one_node_changed_imports_or_is_refused_naming_the_path(tmp_path, data):
    """One node of a valid file gets another operator, loses or gains an input, or has an attribute set to
    another value: the importer's converters must refuse what they cannot follow, never crash on it."""
    proto, _ = data.draw(pytorch_files())
    node = data.draw(st.sampled_from(list(proto.graph.node)))
    change = data.draw(st.sampled_from(["operator", "drop input", "add input", "attribute", "new attribute"]))
    if change == "operator":
        node.op_type = data.draw(st.sampled_from(OPS))
    elif change == "drop input" and node.input:
        del node.input[data.draw(st.integers(0, len(node.input) - 1))]
    elif change == "add input":
        node.input.append(data.draw(st.sampled_from(["input", ""] + [t.name for t in proto.graph.initializer])))
    elif change == "attribute" and node.attribute:
        attribute = data.draw(st.sampled_from(list(node.attribute)))
        number = data.draw(st.integers(-3, 5))
        if attribute.ints:
            attribute.ints[data.draw(st.integers(0, len(attribute.ints) - 1))] = number
        elif attribute.type == onnx.AttributeProto.FLOAT:
            attribute.f = data.draw(st.floats(allow_nan=True, allow_infinity=True, width=32))
        else:
            attribute.i = number
    else:
        name = data.draw(st.sampled_from(["axis", "perm", "transB", "kernel_shape", "alpha", "approximate"]))
        node.attribute.append(helper.make_attribute(name, data.draw(st.sampled_from([0, 1, -1, 2.5, [1, 0], "tanh"]))))
    path = tmp_path / "changed.onnx"
    path.write_bytes(proto.SerializeToString())
    imports_or_refuses(path)


def refusal(tmp_path, proto, name="hostile.onnx"):
    path = tmp_path / name
    path.write_bytes(proto.SerializeToString())
    with pytest.raises(ValueError) as info:
        tg.import_onnx(path)
    assert str(info.value).startswith(f"import_onnx: {path}")
    return str(info.value)


def raw_tensor(name, dims, values):
    """A float TensorProto made by hand: `onnx.helper.make_tensor` would refuse the lies these tests tell."""
    tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims)
    tensor.float_data.extend(values)
    return tensor


def with_tensor(tensor, op="MatMul"):
    """A file whose one node multiplies the input by `tensor`."""
    proto = one_node_file(op, [tensor.name])
    proto.graph.initializer.append(tensor)
    return proto


def test_data_kept_in_another_file_is_never_read(tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.ones(6, np.float32).tobytes())
    tensor = raw_tensor("w", [3, 2], [])
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in {"location": str(secret), "offset": "0", "length": "24"}.items():
        tensor.external_data.add(key=key, value=value)
    assert "keeps its data in another file, which import_onnx never reads" in refusal(tmp_path, with_tensor(tensor))


def test_a_tensor_that_claims_more_values_than_it_holds_is_refused_before_anything_is_allocated(tmp_path):
    tensor = raw_tensor("w", [1 << 20, 1 << 20], [1.0, 2.0])  # 4 TiB claimed
    path = tmp_path / "claims.onnx"
    path.write_bytes(with_tensor(tensor).SerializeToString())
    result = run_limited(f"tg.import_onnx({str(path)!r})", memory_mb=1500)
    assert result["outcome"].startswith(f"ValueError: import_onnx: {path}: the tensor 'w' claims 1,099,511,627,776 values")
    assert result["extra_mb"] < 200


def test_a_fifo_and_a_device_are_refused_at_once(tmp_path):
    fifo = tmp_path / "fifo.onnx"
    os.mkfifo(fifo)  # nobody ever writes to it: a reader that waits for a writer waits forever
    result = run_limited(f"tg.import_onnx({str(fifo)!r})", memory_mb=1500, timeout=60)
    assert result["outcome"] == f"ValueError: import_onnx: {fifo} is not a readable ONNX model: it is not a regular file but a FIFO"
    with pytest.raises(ValueError, match="import_onnx: /dev/zero is not a readable ONNX model: it is not a regular file"):
        tg.import_onnx("/dev/zero")


def test_a_file_larger_than_the_limit_is_refused_without_parsing_it(tmp_path, monkeypatch, exported):
    monkeypatch.setattr(read, "MAX_BYTES", len(exported) - 1)
    (tmp_path / "large.onnx").write_bytes(exported)
    with pytest.raises(ValueError, match=r"large.onnx is not a readable ONNX model: it is larger than"):
        tg.import_onnx(tmp_path / "large.onnx")


def test_a_graph_of_as_many_nodes_as_a_file_may_hold_imports_without_hanging(tmp_path):
    """100,000 nodes, a chain with a skip around it (a Graph, not a Sequential): nothing in the import may be
    quadratic in the number of nodes (naming 100,000 ReLU layers was: about ten minutes)."""
    n = read.MAX_NODES - 1
    nodes = [helper.make_node("Relu", ["x" if i == 0 else f"v{i - 1}"], [f"v{i}"]) for i in range(n)]
    nodes.append(helper.make_node("Add", ["x", f"v{n - 1}"], ["y"]))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    path = tmp_path / "long.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)]).SerializeToString())
    result = run_limited(f"print(repr(tg.import_onnx({str(path)!r}).predict(np.ones((1, 3)))))", memory_mb=3000, timeout=120)
    assert result["outcome"] == "returned", result


def nested(depth):
    """A model whose graph holds a node whose attribute holds a graph ... `depth` times: protobuf bytes built by hand."""
    def field(tag, body):
        length, size = bytearray(), len(body)
        while True:
            length.append((size & 0x7F) | (0x80 if size > 0x7F else 0))
            size >>= 7
            if not size:
                return bytes([tag]) + bytes(length) + body
    graph = b""
    for _ in range(depth):  # GraphProto.node (1) > NodeProto.attribute (5) > AttributeProto.g (6) > GraphProto
        graph = field(0x0A, field(0x2A, field(0x32, graph)))
    return field(0x3A, graph)  # ModelProto.graph (7)


HOSTILE = {
    "a graph nested 5000 deep": lambda: nested(5000),
    "no graph at all": lambda: b"",
    "two nodes that take each other's output": lambda: cycle().SerializeToString(),
    "an input of strings": lambda: string_input().SerializeToString(),
    "weights that hold NaN": lambda: with_tensor(helper.make_tensor("w", TensorProto.FLOAT, [3, 2], [np.nan] * 6)).SerializeToString(),
    "an operator of another domain": lambda: one_node_file("Hack", [], domain="evil.ops").SerializeToString(),
    "a subgraph (If)": lambda: one_node_file("If", []).SerializeToString(),
    "the standard opset twice": lambda: twice_opset().SerializeToString(),
}
MESSAGES = {
    "a graph nested 5000 deep": "is not a readable ONNX model: it is not an ONNX model (protobuf",
    "no graph at all": "is not a readable ONNX model: it is not an ONNX model (it has no graph of nodes)",
    "two nodes that take each other's output": "Relu node 'a' takes 'b_out', which no earlier node computes",
    "an input of strings": "the input 'input' has data type 8; tinygraph reads float32, float64, int64, int32",
    "weights that hold NaN": "the tensor 'w' holds NaN or Inf",
    "an operator of another domain": "evil.ops.Hack node 'the_node': tinygraph cannot import the operator evil.ops.Hack",
    "a subgraph (If)": "If node 'the_node': tinygraph cannot import the operator If",
    "the standard opset twice": "the model imports the standard opset 2 times; expected once",
}


def cycle():
    a = helper.make_node("Relu", ["b_out"], ["a_out"], name="a")
    b = helper.make_node("Relu", ["a_out"], ["b_out"], name="b")
    graph = helper.make_graph([a, b], "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("a_out", TensorProto.FLOAT, [1, 3])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])


def string_input():
    proto = one_node_file("Relu", [])
    proto.graph.input[0].type.tensor_type.elem_type = TensorProto.STRING
    return proto


def twice_opset():
    proto = one_node_file("Relu", [])
    proto.opset_import.append(helper.make_opsetid("ai.onnx", 20))
    return proto


@pytest.mark.parametrize("attack", HOSTILE)
def test_hostile_files_are_refused_naming_the_path_and_what_is_wrong(tmp_path, attack):
    path = tmp_path / "hostile.onnx"
    path.write_bytes(HOSTILE[attack]())
    with pytest.raises(ValueError) as info:
        tg.import_onnx(path)
    assert str(info.value).startswith(f"import_onnx: {path}") and MESSAGES[attack] in str(info.value), str(info.value)


# -- broken twins: a reader with one check left out, and the tests above catch each -----------------------------

def twin_array_believing_the_claimed_shape(tensor, where):
    values = np.frombuffer(tensor.raw_data, np.float32) if tensor.raw_data else np.array(tensor.float_data, np.float32)
    return values.reshape(tuple(tensor.dims))


def twin_array_reading_external_data(tensor, where):
    if tensor.external_data:
        location = {entry.key: entry.value for entry in tensor.external_data}["location"]
        return np.fromfile(location, np.float32).reshape(tuple(tensor.dims))
    return ORIGINAL_ARRAY(tensor, where)


def twin_read_model_trusting_protobuf(onnx, path):
    proto = onnx.ModelProto()
    with open(path, "rb") as file:
        proto.ParseFromString(file.read())
    return proto


def twin_constant_trusting_the_inputs(reader, index, what):
    return reader.graph.constants[reader.inputs[index]]  # IndexError or KeyError when the file leaves it out


ORIGINAL_ARRAY = read.array
TWINS = [
    ("array", twin_array_believing_the_claimed_shape,
     lambda tmp_path: refusal(tmp_path, with_tensor(raw_tensor("w", [3, 2], [1.0])))),
    ("array", twin_array_reading_external_data, lambda tmp_path: test_data_kept_in_another_file_is_never_read(tmp_path)),
    ("read_model", twin_read_model_trusting_protobuf,
     lambda tmp_path: test_hostile_files_are_refused_naming_the_path_and_what_is_wrong(tmp_path, "a graph nested 5000 deep")),
]


def test_the_fuzz_catches_a_converter_that_trusts_the_file(tmp_path, monkeypatch):
    from tinygraph.onnx.node import NodeReader

    monkeypatch.setattr(NodeReader, "constant", twin_constant_trusting_the_inputs)
    with pytest.raises((IndexError, KeyError, ExceptionGroup)) as info:  # a group when Hypothesis finds several
        test_a_pytorch_style_file_with_one_node_changed_imports_or_is_refused_naming_the_path(tmp_path)
    if isinstance(info.value, ExceptionGroup):
        assert info.value.split((IndexError, KeyError))[1] is None  # each of them an IndexError or KeyError


@pytest.mark.parametrize("name, twin, check", TWINS, ids=[twin.__name__ for _, twin, _ in TWINS])
def test_the_checks_catch_a_reader_with_a_check_left_out(tmp_path, monkeypatch, name, twin, check):
    monkeypatch.setattr(read, name, twin)
    if name == "read_model":
        monkeypatch.setattr("tinygraph.onnx.importer.read_model", twin)
    with pytest.raises((Exception, pytest.fail.Exception)) as info:
        check(tmp_path)
    assert not isinstance(info.value, ValueError) or not str(info.value).startswith("import_onnx: ")
