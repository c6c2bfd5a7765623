"""`tg.import_onnx`: files written by PyTorch's exporters (built here as they write them, and real ones in
tests/reference/) and by `export_onnx`, read back as layers that compute what onnxruntime computes.

Each check is shown able to fail: broken twins of the converters (at the end) import models that differ.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onnx_files import one_node_file, pytorch_files
from onnx_oracle import assert_close, onnx, outputs, run_file

import tinygraph as tg
from tinygraph.onnx import importer
from tinygraph.testing import conv_nets, dags, embeddings, graphs, networks, norm_layers, sequence_nets

SLOW = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=40)


def imported_matches(proto, x, path):
    """Save `proto` to `path`, import it, and compare the model's predict with onnxruntime on `x`; return the model."""
    onnx.save(proto, str(path))
    model = tg.import_onnx(path)
    assert_close(outputs(model, x), run_file(path, x))
    assert not any(layer.training for layer in model.all_layers()) and model.dtype == np.float64
    return model


@SLOW
@given(data=st.data())
def test_files_written_as_pytorch_writes_them_import_as_onnxruntime_runs_them(tmp_path, data):
    proto, x = data.draw(pytorch_files())
    model = imported_matches(proto, x, tmp_path / "torch.onnx")
    assert isinstance(model, tg.Sequential)
    kinds = {"Gemm": tg.Dense, "MatMul": tg.Dense, "Conv": tg.Conv2D, "MaxPool": tg.MaxPool2D, "Flatten": tg.Flatten,
             "Relu": tg.ReLU, "Sigmoid": tg.Sigmoid, "Tanh": tg.Tanh, "Softmax": tg.Softmax, "BatchNormalization": tg.BatchNorm}
    assert [type(layer) for layer in model] == [kinds[node.op_type] for node in proto.graph.node if node.op_type != "Add"]


STRATEGIES = {"networks": networks(), "graphs": graphs(), "dags": dags(), "conv_nets": conv_nets(),
              "sequence_nets": sequence_nets(), "norm_layers": norm_layers(), "embeddings": embeddings()}


@pytest.mark.parametrize("strategy", STRATEGIES)
@SLOW
@given(data=st.data())
def test_export_then_import_then_export_then_import_gives_the_same_numbers(tmp_path, strategy, data):
    model, xs = data.draw(STRATEGIES[strategy])
    xs = xs if isinstance(xs, tuple) else (xs,)
    shapes = [x.shape[1:] for x in xs]
    tg.export_onnx(model.eval(), tmp_path / "first.onnx", input_shape=shapes if len(xs) > 1 else shapes[0])
    first = tg.import_onnx(tmp_path / "first.onnx")
    tg.export_onnx(first, tmp_path / "second.onnx", input_shape=shapes if len(xs) > 1 else shapes[0])
    second = tg.import_onnx(tmp_path / "second.onnx")
    assert repr(second) == repr(first)
    for a, b in zip(outputs(second, *xs), outputs(first, *xs)):
        np.testing.assert_array_equal(a, b)  # float32 values are exact in float64: nothing is rounded twice
    assert_close(outputs(first, *xs), outputs(model, *xs))


def test_a_chain_is_a_sequential_and_anything_else_a_graph_with_the_files_names(tmp_path):
    a, b = tg.Input("a"), tg.Input("b")
    h = tg.Dense(3, 4, rng=0)(a)
    model = tg.Graph([a, b], [tg.Concat()(tg.Tanh()(h), b), h])
    tg.export_onnx(model, tmp_path / "graph.onnx", input_shape=[(3,), (2,)])
    back = tg.import_onnx(tmp_path / "graph.onnx")
    assert isinstance(back, tg.Graph) and [back.names[node] for node in back.inputs] == ["a", "b"]
    xs = (np.ones((2, 3)), np.full((2, 2), 0.5))
    assert_close(outputs(back, *xs), outputs(model, *xs))
    chain = tg.Sequential(tg.Sequential(tg.Dense(3, 3, rng=0), tg.ReLU()), tg.Residual(tg.Tanh()))
    tg.export_onnx(chain, tmp_path / "chain.onnx")
    assert isinstance(tg.import_onnx(tmp_path / "chain.onnx"), tg.Graph)  # the skip makes it a graph
    tg.export_onnx(chain[0], tmp_path / "plain.onnx")
    assert repr(tg.import_onnx(tmp_path / "plain.onnx")) == "Sequential(Dense(3→3) >> ReLU)"


def test_a_concat_of_one_value_is_that_value_both_ways(tmp_path):
    helper, TensorProto = onnx.helper, onnx.TensorProto
    nodes = [helper.make_node("Concat", ["input"], ["joined"], axis=-1), helper.make_node("Tanh", ["joined"], ["output"])]
    graph = helper.make_graph(nodes, "main_graph", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["n", 3])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["n", 3])])
    model = imported_matches(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), np.ones((2, 3)),
                             tmp_path / "one.onnx")
    assert repr(model) == "Sequential(Identity >> Tanh)"
    tg.export_onnx(tg.Parallel(tg.Dense(3, 2, rng=0), merge="concat"), tmp_path / "parallel.onnx")
    assert [node.op_type for node in onnx.load(tmp_path / "parallel.onnx").graph.node] == ["Gemm"]


@pytest.mark.parametrize("shape", [(3,), (2, 3)], ids=["Gemm", "MatMul"])
def test_nodes_on_the_same_weights_become_one_shared_layer(tmp_path, shape):
    shared = tg.Dense(3, 3, rng=0)
    tg.export_onnx(tg.Sequential(shared, tg.Tanh(), shared, tg.Dense(3, 3, rng=0)), tmp_path / "shared.onnx", input_shape=shape)
    back = tg.import_onnx(tmp_path / "shared.onnx")
    assert back[0] is back[2] and back[3] is not back[0] and len(back.parameters()) == 4


def test_an_imported_model_is_gradchecked_traced_and_fine_tuned(tmp_path):
    model = tg.Sequential(tg.Conv2D(1, 2, 3, padding=1, rng=0), tg.BatchNorm(2), tg.Tanh(), tg.Flatten(), tg.Dense(18, 2, rng=1))
    tg.export_onnx(model, tmp_path / "cnn.onnx", input_shape=(1, 3, 3))
    back = tg.import_onnx(tmp_path / "cnn.onnx")
    x = np.random.default_rng(0).standard_normal((4, 1, 3, 3))
    assert tg.gradcheck(back, x)
    assert [row.name for row in tg.trace(back, x).rows] == ["net", "0", "1", "2", "3", "4"]
    history = tg.fit(back.train(), tg.SoftmaxCrossEntropy(), tg.Adam(back.parameters(), lr=0.1), x, np.array([0, 1, 0, 1]),
                     epochs=20, batch_size=4, progress=False)
    assert history.history["loss"][-1] < history.history["loss"][0]


def refused(tmp_path, proto):
    onnx.save(proto, str(tmp_path / "refused.onnx"))
    with pytest.raises(ValueError) as info:
        tg.import_onnx(tmp_path / "refused.onnx")
    return str(info.value)


W = [("w", np.ones((2, 3, 2, 2)))]
REFUSALS = [  # (file, what the message must say after "import_onnx: PATH: ")
    (one_node_file("LSTM", []), r"LSTM node 'the_node': tinygraph cannot import the operator LSTM \(it reads Add, "),
    (one_node_file("FusedGemm", [], domain="com.microsoft"), "com.microsoft.FusedGemm node 'the_node': tinygraph cannot import"),
    (one_node_file("Conv", ["w"], W, x_shape=("batch", 3, 5, 5), dilations=[2, 2]),
     r"Conv node 'the_node': attribute dilations=\[2, 2\] is not supported \(tinygraph's layers have no dilation\)"),
    (one_node_file("Conv", ["w"], [("w", np.ones((2, 1, 2, 2)))], x_shape=("batch", 3, 5, 5), group=3),
     r"Conv node 'the_node': attribute group=3 is not supported \(tinygraph's convolutions are not grouped\)"),
    (one_node_file("Conv", ["w"], W, x_shape=("batch", 3, 5, 5), pads=[1, 1, 0, 0]), r"pads=\[1, 1, 0, 0\] is not the same padding"),
    (one_node_file("Conv", ["w"], [("w", np.ones((2, 3, 2, 2, 2)))], x_shape=("batch", 3, 5, 5, 5)), "works on 3 spatial axes"),
    (one_node_file("MaxPool", [], x_shape=("batch", 3, 5, 5), kernel_shape=[2, 2], ceil_mode=1), r"attribute ceil_mode=1 is not supported"),
    (one_node_file("AveragePool", [], x_shape=("batch", 3, 5, 5), kernel_shape=[2, 2], pads=[1, 1, 1, 1]),
     r"attribute pads=\[1, 1, 1, 1\] is not supported \(tinygraph's poolings do not pad\)"),
    (one_node_file("Gelu", []), r"Gelu node 'the_node': attribute approximate='none' is not supported \(tinygraph's GELU is the tanh"),
    (one_node_file("Relu", [], opset=11), r"opset 11 is not supported \(tinygraph reads opsets 13 to 25\)"),
    (one_node_file("Relu", [], opset=26), "opset 26 is not supported"),
    (one_node_file("Relu", [], alpha=1.0), r"Relu node 'the_node': attribute alpha is not supported \(tinygraph reads none here\)"),
    (one_node_file("Gemm", ["w"], [("w", np.ones((3, 2)))], transA=1), "Gemm node 'the_node': attribute transA=1 is not supported"),
    (one_node_file("Gemm", ["w"], [("w", np.ones(3))]), r"the weight B has shape \(3,\); expected a matrix"),
    (one_node_file("MatMul", ["input"]), r"the second factor \(input 1\) must be a constant of the file, got the computed value"),
    (one_node_file("Add", ["b"], [("b", np.ones(3))]), r"Add node 'the_node': input 1 must be a value computed from the graph's"),
    (one_node_file("Reshape", ["s"], [("s", np.array([3, -1]))]), r"the shape \[3, -1\] does not keep the batch axis"),
    (one_node_file("Transpose", [], perm=[1, 0]), r"perm=\[1, 0\] moves the batch axis"),
    (one_node_file("Flatten", [], axis=0), "attribute axis=0 is not supported"),
    (one_node_file("Softmax", [], axis=0), r"attribute axis=0 is not supported \(a softmax over the batch axis"),
    (one_node_file("Concat", ["input"], axis=0), "along axis 0"),
    (one_node_file("Gather", ["input"], [], x_shape=("batch", 2)), r"the table \(input 0\) must be a constant"),
    (one_node_file("Dropout", ["r", "t"], [("r", np.array(0.5)), ("t", np.array(True))]), "training_mode is true"),
    (one_node_file("BatchNormalization", list("wbmv"), [(n, np.ones(3)) for n in "wbmv"], training_mode=1),
     "attribute training_mode=1 is not supported"),
    (one_node_file("LayerNormalization", ["w"], [("w", np.ones(3))], axis=1), r"attribute axis=1 is not supported \(the scale has shape"),
    (one_node_file("Dropout", ["r"], [("r", np.array(1.5))]), r"Dropout node 'the_node': Dropout: p must be in \[0, 1\), got 1.5"),
]


@pytest.mark.parametrize("proto, message", REFUSALS, ids=[m[:30] for _, m in REFUSALS])
def test_what_tinygraph_cannot_follow_is_refused_naming_the_operator_and_the_node(tmp_path, proto, message):
    import re

    assert re.search(message, refused(tmp_path, proto)), refused(tmp_path, proto)


# -- broken twins: converters with one mistake each, and the checks above catch every one --------------------------

TWINS = {
    "Gemm read as if never transposed": ("Gemm", lambda node: twin_gemm(node)),
    "BatchNormalization with its bias and running mean (inputs 2 and 3) swapped": ("BatchNormalization", lambda node: twin_batchnorm(node)),
    "MaxPool with the stride of the kernel": ("MaxPool", lambda node: twin_maxpool(node)),
}


def twin_gemm(node):
    layer, inputs = importer.dense.import_gemm(node)
    layer.weight.value[...] = node.constant(1, "B").reshape(layer.weight.value.shape)  # (out, in) taken for (in, out)
    return layer, inputs


def twin_batchnorm(node):
    layer, inputs = importer.images.import_batchnorm(node)
    mean = layer.running_mean.copy()
    layer.running_mean[...], layer.bias.value[...] = layer.bias.value, mean
    return layer, inputs


def twin_maxpool(node):
    layer, inputs = importer.images.IMPORTERS["MaxPool"](node)
    return type(layer)(layer.kernel_size), inputs


@pytest.mark.parametrize("twin", TWINS)
def test_the_checks_catch_a_broken_converter(tmp_path, monkeypatch, twin):
    op_type, broken = TWINS[twin]
    monkeypatch.setitem(importer.CONVERTERS, op_type, broken)

    # up to 200 examples: a MaxPool of stride 1 on a map of 3 or more is perhaps one file in ten; the search
    # stops at the first file that shows the twin, so a caught twin costs a few examples
    @settings(max_examples=200, database=None, report_multiple_bugs=False)
    @given(pytorch_files())
    def property_test(case):
        proto, x = case
        imported_matches(proto, x, tmp_path / "twin.onnx")

    with pytest.raises((AssertionError, ValueError)):  # other numbers, or shapes that no longer fit
        property_test()
