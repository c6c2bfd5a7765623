"""`tg.export_onnx`: every built-in layer, container and graph, checked by onnx.checker and run by onnxruntime.

The oracle is onnxruntime on the exported file against `model.predict` (tests/onnx_oracle.py says why
1e-5 relative), on random models from the strategies of `tinygraph.testing`. Each check is shown able to
fail: broken twins of the exporters (at the end) give files that it refuses.
"""

import inspect

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onnx_oracle import exported_matches, onnx, run_file
from user_layers import Scale

import tinygraph as tg
from tinygraph.onnx import export, pointwise
from tinygraph.models import digits_cnn
from tinygraph.testing import conv_nets, dags, embeddings, graphs, networks, norm_layers, sequence_nets

RNG = np.random.default_rng(0)


def every_layer():
    """`(layer, one sample's shape)`: each built-in layer and container once, with settings off their defaults and
    random parameters (a zero bias would hide a bias left out)."""
    return [(randomized(layer), shape) for layer, shape in layers_and_shapes()]


def randomized(layer):
    rng = np.random.default_rng(1)
    for p in layer.parameters():
        p.value[...] = rng.uniform(0.5, 1.5, p.value.shape) * rng.choice([-1, 1], p.value.shape)
    return layer


def layers_and_shapes():
    x = tg.Input("x")
    graph = tg.Graph(x, [tg.Add()(tg.Tanh()(x), tg.Dense(3, 3, rng=0)(x)), tg.Multiply()(x, x)])
    return [
        (tg.Dense(3, 2, rng=0), (3,)), (tg.Dense(3, 2, rng=0), (2, 3)), (tg.Dense(3, 2, bias=False, rng=0), (2, 3)), (tg.Sigmoid(), (3,)), (tg.Tanh(), (3,)),
        (tg.ReLU(), (3,)), (tg.LeakyReLU(0.2), (3,)), (tg.Softmax(), (2, 3)), (tg.Softmax(axis=1), (3, 2)),
        (tg.Dropout(0.3), (3,)), (tg.Identity(), (3,)), (tg.GELU(), (3,)), (tg.ELU(0.5), (3,)), (tg.SiLU(), (3,)),
        (tg.Softplus(), (3,)), (tg.Softplus(2.0, 1.0), (3,)),
        (tg.Conv2D(2, 3, (2, 3), stride=(1, 2), padding=(1, 0), rng=0), (2, 5, 6)), (tg.Conv1D(2, 3, 3, padding=1, rng=0), (2, 5)),
        (tg.MaxPool2D(2), (2, 4, 5)), (tg.AvgPool2D((2, 1), stride=1), (2, 4, 4)), (tg.MaxPool1D(3, stride=2), (2, 7)),
        (tg.AvgPool1D(2), (2, 6)), (tg.Flatten(), (2, 3, 2)), (tg.Reshape(3, -1), (6,)), (tg.Permute(2, 1), (3, 4)),
        (with_statistics(tg.BatchNorm(3, eps=1e-3)), (3,)), (with_statistics(tg.BatchNorm(2)), (2, 3, 3)),
        (tg.LayerNorm(3), (2, 3)), (tg.LayerNorm((2, 3), eps=1e-3), (2, 3)), (tg.Embedding(5, 3, rng=0), (4,)),
        (tg.Sequential(tg.Dense(3, 3, rng=0), tg.Sequential(tg.Tanh(), tg.Dense(3, 2, rng=1))), (3,)),
        (tg.Residual(tg.Dense(3, 3, rng=0)), (3,)), (tg.Parallel(tg.Identity(), tg.Dense(3, 2, rng=0)), (3,)),
        (tg.Parallel(tg.Tanh(), tg.Sigmoid(), tg.Identity(), merge="add"), (3,)),
        (tg.Parallel(tg.Conv2D(1, 2, 1, rng=0), tg.Identity(), axis=1), (1, 3, 3)),
        (graph, (3,)), (tg.Graph([x, y := tg.Input("y")], tg.Concat(axis=1)(x, y, x)), [(3,), (2,)]),
        (tg.Graph([x, y], tg.Add()(x, y, x)), [(3,), (3,)]), (tg.Multiply(), [(2, 3), (2, 3), (2, 3)]),
    ]


def with_statistics(layer):
    """A BatchNorm with random running statistics, gamma and beta (zeros and ones would hide a mix-up)."""
    rng = np.random.default_rng(1)
    n = layer.num_features
    layer.running_mean, layer.running_var = rng.uniform(-1, 1, n), rng.uniform(0.5, 2, n)
    layer.weight.value[...], layer.bias.value[...] = rng.uniform(0.5, 1.5, n), rng.uniform(-0.5, 0.5, n)
    return layer


def inputs_for(layer, shape, n=4):
    shapes = shape if isinstance(shape, list) else [shape]
    if isinstance(layer, tg.Embedding):
        return (RNG.integers(0, layer.num_embeddings, (n, *shape)),)
    return tuple(RNG.standard_normal((n, *s)) for s in shapes)


@pytest.mark.parametrize("layer, shape", every_layer(), ids=lambda v: repr(v)[:40] if isinstance(v, tg.Layer) else "")
def test_every_builtin_layer_exports_to_a_file_onnxruntime_runs_as_predict(tmp_path, layer, shape):
    exported_matches(layer, inputs_for(layer, shape), tmp_path / "layer.onnx")


def test_every_builtin_layer_class_is_exported_and_tested():
    classes = {name: cls for name, cls in vars(tg).items() if inspect.isclass(cls) and issubclass(cls, tg.Layer)}
    classes.pop("Layer")
    assert set(classes.values()) == set(export.EXPORTERS), "a built-in layer without an exporter, or the other way round"
    tested = {type(inner) for layer, _ in every_layer() for inner in layer.all_layers()}
    assert tested == set(classes.values()), "a layer class this test leaves out"


@pytest.mark.parametrize("opset", export.EXPORT_OPSETS)
def test_every_opset_tinygraph_writes_runs_in_onnxruntime(tmp_path, opset):
    model = tg.Sequential(tg.Conv2D(1, 2, 3, padding=1, rng=0), with_statistics(tg.BatchNorm(2)), tg.GELU(), tg.MaxPool2D(2),
                          tg.Flatten(), tg.LayerNorm(8), tg.Dense(8, 4, rng=0), tg.SiLU(), tg.Softplus(3.0, 2.0), tg.Softmax())
    exported_matches(model, inputs_for(model, (1, 4, 4)), tmp_path / "model.onnx", opset=opset)
    assert onnx.load(str(tmp_path / "model.onnx")).opset_import[0].version == opset


STRATEGIES = {"networks": networks(), "graphs": graphs(), "dags": dags(), "conv_nets": conv_nets(),
              "sequence_nets": sequence_nets(), "norm_layers": norm_layers(), "embeddings": embeddings()}


@pytest.mark.parametrize("strategy", STRATEGIES)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], max_examples=40)
@given(data=st.data())
def test_random_models_export_to_files_onnxruntime_runs_as_predict(tmp_path, strategy, data):
    model, xs = data.draw(STRATEGIES[strategy])
    exported_matches(model, xs if isinstance(xs, tuple) else (xs,), tmp_path / "random.onnx")


def test_a_model_in_training_mode_is_exported_as_predict_sees_it_and_left_as_it_was(tmp_path):
    model = tg.Sequential(tg.Dense(3, 4, rng=0), tg.Dropout(0.5, rng=0), with_statistics(tg.BatchNorm(4)), tg.Tanh())
    state = {name: value.copy() for name, value in model.state_dict().items()}
    x = RNG.standard_normal((5, 3))
    exported_matches(model, (x,), tmp_path / "model.onnx")
    assert all(layer.training for layer in model.all_layers())
    assert all(np.array_equal(value, state[name]) for name, value in model.state_dict().items())
    model(x)  # nothing of the export is left on the model's calls: a forward and its backward still pair up
    assert model.backward(np.ones((5, 4))).shape == (5, 3)


def test_the_batch_axis_is_dynamic_and_the_arrays_are_named_and_laid_out_as_pytorch_state_dicts(tmp_path):
    model = digits_cnn(rng=0)
    tg.export_onnx(model, tmp_path / "cnn.onnx", input_shape=(1, 8, 8))
    proto = onnx.load(str(tmp_path / "cnn.onnx"))
    (given,), (made,) = proto.graph.input, proto.graph.output
    assert [d.dim_param or d.dim_value for d in given.type.tensor_type.shape.dim] == ["batch", 1, 8, 8]
    assert [d.dim_param or d.dim_value for d in made.type.tensor_type.shape.dim] == ["batch", 10]
    arrays = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    state = model.state_dict()
    assert set(arrays) == set(state)
    for name, value in state.items():  # torch.nn.Linear holds (out, in): tinygraph's Dense (in, out) transposed
        expected = value.T if name == "9.weight" else value
        np.testing.assert_array_equal(arrays[name], expected.astype(np.float32))
    assert proto.producer_name == "tinygraph" and "Conv2D(1→16" in proto.graph.doc_string


def test_a_layer_used_twice_is_written_once(tmp_path):
    shared = tg.Dense(3, 3, rng=0)
    model = tg.Sequential(shared, tg.Tanh(), shared)
    exported_matches(model, (RNG.standard_normal((2, 3)),), tmp_path / "shared.onnx")
    names = [t.name for t in onnx.load(str(tmp_path / "shared.onnx")).graph.initializer]
    assert sorted(names) == ["0.bias", "0.weight"]


def test_float64_files_keep_float64_where_onnxruntime_has_the_kernels(tmp_path):
    model = tg.Sequential(tg.Dense(3, 8, rng=0), tg.ReLU(), tg.Dense(8, 8, rng=1), tg.Tanh(), tg.Sigmoid(), tg.Dense(8, 3, rng=2),
                          tg.Softmax())
    x = RNG.standard_normal((6, 3))
    tg.export_onnx(model, tmp_path / "f64.onnx", dtype=np.float64)
    (y,) = run_file(tmp_path / "f64.onnx", x)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, model.predict(x), rtol=1e-12)


def test_arguments_are_checked_before_anything_is_written(tmp_path):
    model = tg.Sequential(tg.Conv2D(1, 2, 3, rng=0), tg.Flatten())
    path = tmp_path / "model.onnx"
    with pytest.raises(ValueError, match=r"export_onnx: cannot tell the input shape of Sequential\(Conv2D.*input_shape="):
        tg.export_onnx(model, path)
    with pytest.raises(ValueError, match="export_onnx: opset 16 is not one tinygraph writes"):
        tg.export_onnx(tg.Tanh(), path, input_shape=3, opset=16)
    with pytest.raises(TypeError, match="export_onnx: dtype must be np.float32 or np.float64"):
        tg.export_onnx(tg.Tanh(), path, input_shape=3, dtype=np.float16)
    with pytest.raises(ValueError, match="export_onnx: input_shape must be an int >= 1, got 0"):
        tg.export_onnx(tg.Tanh(), path, input_shape=(2, 0))
    two = tg.Graph([x := tg.Input(), y := tg.Input()], tg.Add()(x, y))
    with pytest.raises(ValueError, match="the model takes 2 inputs; input_shape must be a list of 2 shapes"):
        tg.export_onnx(two, path, input_shape=(3,))
    with pytest.raises(TypeError, match="export_onnx: model must be a tinygraph Layer, got ufunc"):
        tg.export_onnx(np.tanh, path)
    with pytest.raises(FileNotFoundError, match="export_onnx: cannot write .*missing"):
        tg.export_onnx(tg.Tanh(), tmp_path / "missing" / "model.onnx", input_shape=3)
    assert not path.exists()


class ExportedScale(Scale):
    def to_onnx(self, g, x):
        return g.op("Mul", x, g.constant(self.s.value, "s"))


class WronglyExportedScale(Scale):
    def to_onnx(self, g, x):
        return g.op("Mul", x, g.constant(self.s.value[:-1], "s"))  # a scale of one value too few


def test_a_users_layer_exports_itself_with_to_onnx_and_without_it_is_refused_by_name(tmp_path):
    exported_matches(tg.Sequential(tg.Dense(3, 3, rng=0), ExportedScale(3), tg.Tanh()), (RNG.standard_normal((4, 3)),),
                     tmp_path / "mine.onnx")
    path = tmp_path / "refused.onnx"
    path.write_bytes(b"an old file")
    with pytest.raises(TypeError, match=r"export_onnx: cannot export layer '1', Scale: Scale is not a built-in layer "
                                        r"and has no to_onnx\(self, g, \*xs\) method"):
        tg.export_onnx(tg.Sequential(tg.Dense(3, 3, rng=0), Scale(3)), path)
    with pytest.raises(ValueError, match=r"export_onnx: the ONNX model written for .* is not valid \(.*\); a to_onnx"):
        tg.export_onnx(tg.Sequential(WronglyExportedScale(3), tg.Dense(3, 3, rng=0)), path, input_shape=3)
    assert path.read_bytes() == b"an old file"


# -- broken twins: exporters with one mistake each, and the checks above catch every one --------------------------

TWINS = {
    "Gemm without transB (the weight read as (in, out))":
        (tg.Dense, lambda layer, g, x: g.op("Gemm", x, g.constant(layer.weight.value.T, "weight"), g.constant(layer.bias.value, "bias")),
         randomized(tg.Dense(3, 3, rng=0)), (3,)),
    "ELU whose alpha is left at its default":
        (tg.ELU, lambda layer, g, x: g.op("Elu", x), tg.ELU(0.3), (3,)),
    "Softplus whose threshold is dropped":
        (tg.Softplus, lambda layer, g, x: pointwise.export_softplus(tg.Softplus(layer.beta), g, x), tg.Softplus(2.0, 0.5), (3,)),
    "BatchNorm with PyTorch's momentum (not 1 - momentum) and the variance for the mean":
        (tg.BatchNorm, lambda layer, g, x: g.op("BatchNormalization", x, *(g.constant(a, n) for a, n in [
            (layer.weight.value, "w"), (layer.bias.value, "b"), (layer.running_var, "m"), (layer.running_var, "v")])),
         with_statistics(tg.BatchNorm(3)), (3,)),
    "Dense on (n, ..., in) without its bias":
        (tg.Dense, lambda layer, g, x: g.op("MatMul", x, g.op("Transpose", g.constant(layer.weight.value.T, "w"), perm=[1, 0])),
         randomized(tg.Dense(3, 2, rng=0)), (2, 3)),
    "Softmax over the first feature axis always":
        (tg.Softmax, lambda layer, g, x: g.op("Softmax", x, axis=1), tg.Softmax(), (2, 3)),
}


@pytest.mark.parametrize("twin", TWINS)
def test_the_checks_catch_a_broken_exporter(tmp_path, monkeypatch, twin):
    cls, broken, layer, shape = TWINS[twin]
    x = inputs_for(layer, shape)
    exported_matches(layer, x, tmp_path / "right.onnx")  # the real exporter passes
    monkeypatch.setitem(export.EXPORTERS, cls, broken)
    with pytest.raises(AssertionError):
        exported_matches(layer, x, tmp_path / "twin.onnx")


def test_a_broken_exporter_is_caught_by_the_property_test_too(tmp_path, monkeypatch):
    monkeypatch.setitem(export.EXPORTERS, tg.Tanh, lambda layer, g, x: g.op("Sigmoid", x))

    @settings(max_examples=40, database=None, report_multiple_bugs=False)
    @given(networks())
    def property_test(case):
        exported_matches(case[0], (case[1],), tmp_path / "twin.onnx")

    with pytest.raises(AssertionError):
        property_test()
