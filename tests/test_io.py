import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import tinygraph as tg
from tinygraph.testing import dags, graphs, networks
from tinygraph.io import HEADER, LAYERS


def every_layer_kind():
    """One layer of every type, on integer indices `(n, 4)` in [0, 10) (an `Embedding` comes first)."""
    shared = tg.Dense(3, 3, rng=2)
    return tg.Sequential(
        tg.Sequential(tg.Embedding(10, 1, rng=6), tg.Flatten()),
        tg.Dense(4, 3, rng=0), tg.Sigmoid(), shared, tg.Tanh(), shared,
        tg.Sequential(tg.ReLU(), tg.Dense(3, 2, bias=False, rng=1)),
        tg.Residual(tg.Sequential(tg.LeakyReLU(0.2), tg.Dense(2, 2, rng=3))),
        tg.Parallel(tg.Softmax(), tg.Identity(), tg.Dropout(0.3), merge="concat"),
        tg.Parallel(tg.Dense(6, 2, rng=4), tg.Dense(6, 2, rng=5), merge="add"),
        merges(),
        images(),
    )


def images():
    """The image, sequence and norm layers, on 4 features."""
    return tg.Sequential(
        tg.Reshape(1, 4), tg.Conv1D(1, 2, 2, padding=1, rng=7), tg.BatchNorm(2), tg.ELU(), tg.MaxPool1D(2),
        tg.AvgPool1D(1), tg.Permute(2, 1), tg.LayerNorm((2, 2)), tg.Reshape(1, 2, 2), tg.Conv2D(1, 2, 1, rng=8),
        tg.MaxPool2D(1), tg.AvgPool2D(1), tg.Flatten(), tg.GELU(), tg.SiLU(), tg.Softplus(),
    )


def merges():
    """A graph of the merge layers, on 2 features."""
    x = tg.Input("x")
    return tg.Graph(x, tg.Concat()(tg.Add()(x, tg.Tanh()(x)), tg.Multiply()(x, x)))


def test_round_trip_of_every_layer_kind_gives_identical_predictions(tmp_path):
    model = every_layer_kind()
    path = tmp_path / "model.npz"
    tg.save(model, path)
    loaded = tg.load(path)
    assert repr(loaded) == repr(model)
    x = np.random.default_rng(0).integers(0, 10, (5, 4))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded[3] is loaded[5], "weight sharing survives the round trip"
    assert list(loaded.state_dict()) == list(model.state_dict())


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(networks() | graphs())
def test_round_trip_of_random_networks_and_graphs(tmp_path, net_and_x):
    net, x = net_and_x
    tg.save(net, tmp_path / "net.npz")
    loaded = tg.load(tmp_path / "net.npz")
    assert repr(loaded) == repr(net)
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))


def test_float32_models_load_as_float32(tmp_path):
    model = every_layer_kind().astype(np.float32)
    tg.save(model, tmp_path / "m.npz")
    loaded = tg.load(tmp_path / "m.npz")
    assert loaded.dtype == np.float32 and all(p.value.dtype == np.float32 for p in loaded.parameters())
    x = np.ones((2, 4), dtype=int)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_the_file_is_a_plain_npz_with_a_versioned_json_header(tmp_path):
    tg.save(tg.Sequential(tg.Dense(2, 1, rng=0), tg.Sigmoid()), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:
        assert sorted(data.files) == sorted([HEADER, "0.weight", "0.bias"])
        header = json.loads(str(data[HEADER]))
    assert header["version"] == 3 and header["dtype"] == "float64"
    assert header["layers"] == [{"type": "Dense", "in_features": 2, "out_features": 1, "bias": True}, {"type": "Sigmoid"},
                                {"type": "Sequential", "layers": [0, 1]}]


def test_a_users_own_layer_cannot_be_saved_and_no_file_appears(tmp_path):
    class Mine(tg.Tanh):
        pass

    with pytest.raises(TypeError, match="cannot save Mine.*state_dict"):
        tg.save(tg.Sequential(tg.Dense(2, 2), Mine()), tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


def test_a_failed_save_leaves_the_previous_file_byte_identical_and_no_stray_file(tmp_path, monkeypatch):
    path = tmp_path / "m.npz"
    tg.save(tg.Sequential(tg.Dense(2, 2, rng=0)), path)
    before = path.read_bytes()

    def fail_midway(file, **arrays):
        file.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", fail_midway)
    with pytest.raises(OSError, match="disk full"):
        tg.save(tg.Sequential(tg.Dense(2, 2, rng=1)), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npz"]


def test_saving_into_a_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tg.save(tg.Dense(2, 2), tmp_path / "nowhere" / "m.npz")


def write_npz(path, header=None, **arrays):
    if header is not None:
        arrays[HEADER] = np.array(header if isinstance(header, str) else json.dumps(header))
    np.savez(path, **arrays)
    return path


def good_header(**changes):
    header = {"format": "tinygraph", "version": 1, "dtype": "float64",
              "model": {"type": "Dense", "id": 0, "in_features": 2, "out_features": 1, "bias": False}}
    header.update(changes)
    return header


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda p: p.write_bytes(b"not a zip file at all"), "not a readable tinygraph model file"),
        (lambda p: p.write_bytes(b""), "not a readable tinygraph model file"),
        (lambda p: np.save(p.with_suffix(".npy"), np.ones(2)) or os.replace(p.with_suffix(".npy"), p), "not a zip file"),
        (lambda p: write_npz(p, weight=np.ones((2, 1))), "no tinygraph header"),
        (lambda p: write_npz(p, good_header(version=99), weight=np.ones((2, 1))), "unknown format version 99"),
        (lambda p: write_npz(p, good_header(dtype="object"), weight=np.ones((2, 1))), "unknown dtype"),
        (lambda p: write_npz(p, good_header(model={"type": "os.system", "id": 0}), weight=np.ones((2, 1))),
         "unknown layer type 'os.system'"),
        (lambda p: write_npz(p, good_header(), weight=np.array([None], dtype=object)), "dtype object; expected float32 or float64"),
        (lambda p: write_npz(p, good_header(), other=np.ones((2, 1))), r"missing \['weight'\]"),
        (lambda p: write_npz(p, good_header(), weight=np.ones((3, 1))), "'weight' has shape"),
        (lambda p: write_npz(p, "{not json", weight=np.ones((2, 1))), "not a readable"),
        (lambda p: write_npz(p, good_header(model={"type": "Dense", "id": 0, "in_features": 10**6,
                                                   "out_features": 10**6, "bias": False}), weight=np.ones((2, 1))),
         "needs more values than the file holds"),
    ],
)
def test_broken_or_hostile_files_raise_value_error_naming_the_path(tmp_path, make, match):
    path = tmp_path / "bad.npz"
    make(path)
    with pytest.raises(ValueError, match=match) as info:
        tg.load(path)
    assert str(path) in str(info.value)


def test_a_truncated_file_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    tg.save(every_layer_kind(), path)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="not a readable tinygraph model file"):
        tg.load(path)


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "absent.npz")


def write_version_1_file(path):
    """A file exactly as tinygraph 0.1 wrote it: no `axis` for Softmax and Parallel (their axis was the last)."""
    model = {"type": "Sequential", "id": 0, "layers": [
        {"type": "Dense", "id": 1, "in_features": 3, "out_features": 4, "bias": True},
        {"type": "Softmax", "id": 2},
        {"type": "Parallel", "id": 3, "merge": "concat", "layers": [
            {"type": "Dense", "id": 4, "in_features": 4, "out_features": 2, "bias": False}, {"type": "Identity", "id": 5},
        ]},
    ]}
    header = json.dumps({"format": "tinygraph", "version": 1, "dtype": "float64", "model": model})
    rng = np.random.default_rng(0)
    arrays = {"0.weight": rng.standard_normal((3, 4)), "0.bias": rng.standard_normal(4), "2.0.weight": rng.standard_normal((4, 2))}
    np.savez(path, **{HEADER: np.array(header)}, **arrays)
    return arrays


def test_files_written_by_version_1_still_load(tmp_path):
    arrays = write_version_1_file(tmp_path / "v1.npz")
    model = tg.load(tmp_path / "v1.npz")
    assert repr(model) == "Sequential(Dense(3→4) >> Softmax >> Parallel(Dense(4→2, bias=False) | Identity, merge='concat'))"
    x = np.random.default_rng(1).standard_normal((5, 3))
    z = x @ arrays["0.weight"] + arrays["0.bias"]
    h = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(x), np.hstack([h @ arrays["2.0.weight"], h]), rtol=1e-12)


def test_a_version_2_file_must_say_every_setting(tmp_path):
    write_version_1_file(tmp_path / "v1.npz")
    with np.load(tmp_path / "v1.npz") as data:
        arrays = {name: data[name] for name in data.files}
    header = json.loads(str(arrays[HEADER]))
    header["version"] = 2
    arrays[HEADER] = np.array(json.dumps(header))
    np.savez(tmp_path / "v2.npz", **arrays)
    with pytest.raises(ValueError, match=r"Softmax needs exactly the keys \['axis', 'type'\], got \['type'\]"):
        tg.load(tmp_path / "v2.npz")


# -- graphs ------------------------------------------------------------------------------------------------


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(dags())
def test_round_trip_of_random_dags_keeps_the_wiring_the_sharing_and_the_numbers(tmp_path, graph_and_xs):
    graph, xs = graph_and_xs
    tg.save(graph, tmp_path / "graph.npz")
    loaded = tg.load(tmp_path / "graph.npz")
    assert repr(loaded) == repr(graph) and list(loaded.state_dict()) == list(graph.state_dict())
    X = xs if len(xs) > 1 else xs[0]  # predict takes a tuple for several inputs
    for a, b in zip(outputs(loaded.predict(X)), outputs(graph.predict(X))):
        np.testing.assert_array_equal(a, b)
    calls_per_layer = [sum(call.layer is layer for call in loaded.calls) for layer in loaded.layers]
    assert calls_per_layer == [sum(call.layer is layer for call in graph.calls) for layer in graph.layers]


def outputs(y):
    return y if isinstance(y, tuple) else (y,)


def test_a_layer_shared_between_a_graph_and_the_sequential_around_it_stays_shared(tmp_path):
    shared = tg.Dense(2, 2, rng=0)
    x = tg.Input("x")
    model = tg.Sequential(shared, tg.Graph(x, tg.Concat()(shared(x), x)))
    tg.save(model, tmp_path / "m.npz")
    loaded = tg.load(tmp_path / "m.npz")
    assert loaded[1].layers[0] is loaded[0] and repr(loaded) == repr(model)


@pytest.mark.parametrize("wiring, message", [
    ({"inputs": ["x"], "calls": [[1, [0]]], "outputs": [1]}, r"layer number 1 is not in \[0, 1\)"),
    ({"inputs": ["x"], "calls": [[0, [1]]], "outputs": [1]}, r"node number 1 is not in \[0, 1\)"),
    ({"inputs": ["x"], "calls": [[0, [0]]], "outputs": []}, r"outputs is empty"),
    ({"inputs": ["x", "y"], "calls": [[0, [0]]], "outputs": [2]}, r"the input Input\('y'\) is never used"),
    ({"inputs": ["x"], "calls": [[0, [0, 0]]], "outputs": [1]}, r"Tanh: takes 1 input\(s\), got 2"),
    ({"inputs": [3], "calls": [], "outputs": [0]}, r"inputs must hold names"),
    ({"inputs": ["x"], "calls": [[0]], "outputs": [1]}, r"a call in Graph.wiring must be \[layer, \[nodes\]\]"),
    ({"inputs": ["x"], "calls": "all", "outputs": [1]}, r"calls must be a list"),
    ([], r"Graph.wiring has a bad value"),
])
def test_a_damaged_graph_wiring_is_refused_naming_the_file(tmp_path, wiring, message):
    header = {"format": "tinygraph", "version": 2, "dtype": "float64",
              "model": {"type": "Graph", "id": 0, "wiring": wiring, "layers": [{"type": "Tanh", "id": 1}]}}
    np.savez(tmp_path / "bad.npz", **{HEADER: np.array(json.dumps(header))})
    with pytest.raises(ValueError, match=r"bad.npz is not a readable tinygraph model file: .*" + message):
        tg.load(tmp_path / "bad.npz")

def test_a_model_of_mixed_dtypes_is_refused_up_front(tmp_path):
    model = tg.Sequential(tg.Dense(2, 3, rng=0), tg.Dense(3, 1, rng=1))
    model[1].astype(np.float32)
    with pytest.raises(ValueError, match=r"save: layer '1' is float32 but the model is float64; .* model.astype\(np.float64\)"):
        tg.save(model, tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []
    tg.save(model.astype(np.float64), tmp_path / "m.npz")  # as the message says
    assert tg.load(tmp_path / "m.npz").dtype == np.float64


def test_a_parameter_tied_between_two_layers_is_refused_up_front(tmp_path):
    first, second = tg.Dense(2, 2, rng=0), tg.Dense(2, 2, rng=1)
    second.weight = first.weight
    with pytest.raises(ValueError, match="save: the parameter '2.weight' is the same Parameter as '0.weight'"):
        tg.save(tg.Sequential(first, tg.Tanh(), second), tmp_path / "m.npz")
    assert os.listdir(tmp_path) == []


def nest(depth):
    model = tg.Dense(2, 2, rng=0)
    for i in range(depth):
        model = tg.Sequential(model) if i % 2 else tg.Residual(model)
    return model


def test_a_model_nested_600_deep_saves_and_loads(tmp_path):
    model = nest(600)
    tg.save(model, tmp_path / "deep.npz")
    loaded = tg.load(tmp_path / "deep.npz")
    assert repr(loaded) == repr(model) and len(repr(model)) > 600
    assert [(name, value.tolist()) for name, value in loaded.state_dict().items()] == \
           [(name, value.tolist()) for name, value in model.state_dict().items()]


def sizes_that_are_wrong(model, sizes):
    """The layers of `model` whose type's entry in `sizes` does not give exactly the values the layer holds."""
    from tinygraph.io import CONTAINERS, NAMES, _own_values

    wrong = []
    for path, layer in model.named_layers():
        name = NAMES[type(layer)]
        config = {key: getter(layer) for key, (getter, _) in LAYERS[name][1].items()}
        if not isinstance(layer, CONTAINERS) and sizes.get(name, lambda c: 0)(config) != _own_values(layer):
            wrong.append(path)
    return wrong


def test_every_layer_type_is_in_the_sample_and_says_how_many_values_it_holds():
    from tinygraph.io import NAMES, SIZES

    model = every_layer_kind()
    assert {NAMES[type(layer)] for layer in model.all_layers()} == set(LAYERS), "add the new type to every_layer_kind()"
    assert sizes_that_are_wrong(model, SIZES) == []
    forgets_the_bias = dict(SIZES, Dense=lambda c: c["in_features"] * c["out_features"])
    assert sizes_that_are_wrong(model, forgets_the_bias) == ["1", "3", "7.layer.1", "9.0", "9.1"]


def write_flat(path, layers, **arrays):
    header = {"format": "tinygraph", "version": 3, "dtype": "float64", "layers": layers}
    return write_npz(path, header, **arrays)


@pytest.mark.parametrize("layers, match", [
    ([], "the header lists no layers"),
    ([{"type": "Tanh"}] * 100_001, "the header lists 100,001 layers; at most 100,000 are read"),
    ([{"type": "Tanh"}, {"type": "ReLU"}], r"layer 0 is not part of the model \(the model is the last layer listed\)"),
    ([{"type": "Sequential", "layers": [0]}], r"layer 0 \(Sequential\): layers must list earlier layers by their place"),
    ([{"type": "Tanh"}, {"type": "Sequential", "layers": [0, 2]}], r"layer 1 \(Sequential\): layers must list earlier"),
    ([{"type": "Tanh"}, {"type": "Sequential", "layers": [True]}], r"layer 1 \(Sequential\): layers must list earlier"),
    ([{"type": "Tanh", "id": 0}], r"Tanh needs exactly the keys \['type'\], got \['id', 'type'\]"),
    ([{"type": "Dense", "in_features": 2, "out_features": 3, "bias": True}, {"type": "Sequential", "layers": [0, 0]},
      {"type": "Sequential", "layers": [1]}], r"its arrays do not fit its architecture: missing \['0.0.weight', "
                                              r"'0.0.bias'\], unexpected nothing"),
])
def test_a_flat_architecture_that_is_not_a_model_is_refused(tmp_path, layers, match):
    with pytest.raises(ValueError, match=match):
        tg.load(write_flat(tmp_path / "flat.npz", layers))


def test_a_layer_listed_twice_is_one_shared_layer(tmp_path):
    weight, bias = np.arange(6.0).reshape(2, 3), np.ones(3)
    layers = [{"type": "Dense", "in_features": 2, "out_features": 3, "bias": True}, {"type": "Tanh"},
              {"type": "Dense", "in_features": 3, "out_features": 2, "bias": False},
              {"type": "Sequential", "layers": [0, 1, 2, 1]}]
    path = write_flat(tmp_path / "flat.npz", layers, **{"0.weight": weight, "0.bias": bias, "2.weight": weight.T.copy()})
    model = tg.load(path)
    assert model[1] is model[3] and repr(model) == "Sequential(Dense(2→3) >> Tanh >> Dense(3→2, bias=False) >> Tanh)"
    np.testing.assert_array_equal(model[0].weight.value, weight)


def test_a_container_that_holds_itself_is_shown_but_not_saved(tmp_path):
    loop = tg.Sequential(tg.Tanh())
    loop.layers.append(loop)
    assert repr(loop) == "Sequential(Tanh >> Sequential(...))"
    with pytest.raises(ValueError, match="save: Sequential contains itself"):
        tg.save(loop, tmp_path / "loop.npz")
    assert os.listdir(tmp_path) == []

# -- images, sequences, normalisation --------------------------------------------------------------------

from tinygraph.testing import conv_nets, norm_layers, sequence_nets  # noqa: E402


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conv_nets() | sequence_nets() | norm_layers())
def test_round_trip_of_random_conv_nets_and_norm_layers(tmp_path, net_and_x):
    net, x = net_and_x
    net(x)  # moves BatchNorm's running statistics away from 0 and 1
    tg.save(net, tmp_path / "net.npz")
    loaded = tg.load(tmp_path / "net.npz")
    assert repr(loaded) == repr(net) and list(loaded.state_dict()) == list(net.state_dict())
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))


def test_an_embedding_model_round_trips_in_float32(tmp_path):
    net = tg.Sequential(tg.Embedding(6, 3, rng=0), tg.Permute(2, 1), tg.Conv1D(3, 2, 2, rng=1), tg.ELU(0.5),
                        tg.AvgPool1D(3), tg.Flatten(), tg.Reshape(2, 1), tg.Flatten(), tg.Dense(2, 1)).astype(np.float32)
    tg.save(net, tmp_path / "e.npz")
    loaded = tg.load(tmp_path / "e.npz")
    x = np.array([[0, 5, 2, 2]])
    assert loaded.dtype == np.float32 and repr(loaded) == repr(net)
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))


@pytest.mark.parametrize("node", [
    {"type": "Conv2D", "id": 0, "in_channels": 100, "out_channels": 100, "kernel_size": [100, 100], "stride": [1, 1],
     "padding": [0, 0], "bias": False},
    {"type": "Embedding", "id": 0, "num_embeddings": 10**6, "embedding_dim": 10**3},
    {"type": "LayerNorm", "id": 0, "normalized_shape": [10**5, 10**5], "eps": 1e-5},
])
def test_a_header_asking_for_more_values_than_the_file_holds_is_refused(tmp_path, node):
    path = write_npz(tmp_path / "big.npz", good_header(model=node), weight=np.ones(2))
    with pytest.raises(ValueError, match=f"layer 0 \\({node['type']}\\) needs more values than the file holds"):
        tg.load(path)


@pytest.mark.parametrize("key, value", [("kernel_size", [0, 3]), ("kernel_size", 3), ("padding", [-1, 0]),
                                        ("stride", [1, 1, 1, 1, 1, 1, 1, 1, 1])])
def test_bad_conv_settings_in_a_file_are_refused(tmp_path, key, value):
    node = {"type": "Conv2D", "id": 0, "in_channels": 1, "out_channels": 1, "kernel_size": [1, 1], "stride": [1, 1],
            "padding": [0, 0], "bias": False, key: value}
    path = write_npz(tmp_path / "bad.npz", good_header(version=2, model=node), **{"weight": np.ones((1, 1, 1, 1))})
    with pytest.raises(ValueError, match=f"Conv2D.{key} has a bad value"):
        tg.load(path)
