import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import tinygraph as tg
from tinygraph.testing import graphs, networks
from tinygraph.io import HEADER


def every_layer_kind():
    shared = tg.Dense(3, 3, rng=2)
    return tg.Sequential(
        tg.Dense(4, 3, rng=0), tg.Sigmoid(), shared, tg.Tanh(), shared,
        tg.Sequential(tg.ReLU(), tg.Dense(3, 2, bias=False, rng=1)),
        tg.Residual(tg.Sequential(tg.LeakyReLU(0.2), tg.Dense(2, 2, rng=3))),
        tg.Parallel(tg.Softmax(), tg.Identity(), tg.Dropout(0.3), merge="concat"),
        tg.Parallel(tg.Dense(6, 2, rng=4), tg.Dense(6, 2, rng=5), merge="add"),
    )


def test_round_trip_of_every_layer_kind_gives_identical_predictions(tmp_path):
    model = every_layer_kind()
    path = tmp_path / "model.npz"
    tg.save(model, path)
    loaded = tg.load(path)
    assert repr(loaded) == repr(model)
    x = np.random.default_rng(0).standard_normal((5, 4))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded[2] is loaded[4], "weight sharing survives the round trip"
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
    x = np.ones((2, 4), dtype=np.float32)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_the_file_is_a_plain_npz_with_a_versioned_json_header(tmp_path):
    tg.save(tg.Sequential(tg.Dense(2, 1, rng=0), tg.Sigmoid()), tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as data:
        assert sorted(data.files) == sorted([HEADER, "0.weight", "0.bias"])
        header = json.loads(str(data[HEADER]))
    assert header["version"] == 2 and header["dtype"] == "float64"
    assert header["model"]["layers"][1] == {"type": "Sigmoid", "id": 2}


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
        (lambda p: write_npz(p, good_header(), weight=np.array([None], dtype=object)), "dtype object; expected floats"),
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
    with pytest.raises(ValueError, match=r"Softmax needs exactly the keys \['axis', 'id', 'type'\]"):
        tg.load(tmp_path / "v2.npz")


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
    with pytest.raises(ValueError, match=f"{node['type']} needs \\d+ values, more than the file holds"):
        tg.load(path)


@pytest.mark.parametrize("key, value", [("kernel_size", [0, 3]), ("kernel_size", 3), ("padding", [-1, 0]),
                                        ("stride", [1, 1, 1, 1, 1, 1, 1, 1, 1])])
def test_bad_conv_settings_in_a_file_are_refused(tmp_path, key, value):
    node = {"type": "Conv2D", "id": 0, "in_channels": 1, "out_channels": 1, "kernel_size": [1, 1], "stride": [1, 1],
            "padding": [0, 0], "bias": False, key: value}
    path = write_npz(tmp_path / "bad.npz", good_header(version=2, model=node), **{"weight": np.ones((1, 1, 1, 1))})
    with pytest.raises(ValueError, match=f"Conv2D.{key} has a bad value"):
        tg.load(path)
