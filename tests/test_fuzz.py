"""Fuzzing the public entry points: the only outcomes allowed are a correct result or a documented error.

Documented errors: `ValueError` (bad shapes, values, files), `TypeError` (bad types), `RuntimeError`
(backward before forward), `FloatingPointError` (training diverged). Anything else (IndexError,
AttributeError, a NumPy internal error, a hang, a changed file) is a bug. Warnings are errors in this
suite, except a RuntimeWarning for arithmetic on NaN or Inf that the caller passed in.
"""

import os
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import tinygraph as tg

DOCUMENTED = (ValueError, TypeError)
DTYPES = ["float16", "float32", "float64", "int8", "int64", "uint8", "bool", "complex128", "<U3", "object", "datetime64[s]"]


def any_array(max_dims=3, max_side=5):
    """Arrays of any of the dtypes above, any shape (including empty and 0-d), NaN and Inf included."""
    def build(dtype_and_shape):
        dtype, shape = dtype_and_shape
        dtype = np.dtype(dtype)
        if dtype.kind == "f":
            elements = st.floats(allow_nan=True, allow_infinity=True, width=min(64, dtype.itemsize * 8))
        elif dtype.kind == "O":
            elements = st.sampled_from([None, 1, "a", 2.5])
        elif dtype.kind == "c":
            elements = st.complex_numbers(max_magnitude=1e3)
        elif dtype.kind == "M":
            return st.just(np.zeros(shape, dtype=dtype))
        else:
            elements = None
        return arrays(dtype, shape, elements=elements)

    shapes = array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=max_side)
    return st.tuples(st.sampled_from(DTYPES), shapes).flatmap(build)


def non_finite(array):
    """NaN or Inf, or numbers whose squares overflow float32: arithmetic on them may warn, as NumPy does."""
    if array.dtype.kind not in "fc" or array.size == 0:
        return False
    return not np.isfinite(array).all() or np.abs(array).max() > np.sqrt(np.finfo(np.float32).max)


def every_layer():
    return [
        tg.Dense(3, 2, rng=0), tg.Sigmoid(), tg.Tanh(), tg.ReLU(), tg.LeakyReLU(0.0), tg.Softmax(),
        tg.Dropout(0.5, rng=0), tg.Identity(), tg.Sequential(tg.Dense(3, 3, rng=0), tg.Tanh()),
        tg.Residual(tg.Dense(3, 3, rng=0)), tg.Parallel(tg.Dense(3, 2, rng=0), tg.Identity(), merge="concat"),
    ]


def image_layers():
    return [
        tg.Conv2D(2, 3, 2, padding=1, rng=0), tg.Conv1D(2, 2, 2, stride=2, rng=0), tg.MaxPool2D(2), tg.AvgPool2D(2, stride=1),
        tg.MaxPool1D(2), tg.AvgPool1D(2), tg.Flatten(), tg.Reshape(-1), tg.Permute(2, 1), tg.BatchNorm(2), tg.LayerNorm(2),
        tg.GELU(), tg.ELU(), tg.SiLU(), tg.Softplus(),
    ]


@pytest.mark.parametrize("layer", every_layer() + image_layers(), ids=repr)
@given(x=any_array(max_dims=4, max_side=4), dy=any_array(max_dims=4, max_side=4))
def test_layers_give_a_result_or_a_documented_error(layer, x, dy):
    with warnings.catch_warnings():
        if non_finite(x) or non_finite(dy):
            warnings.simplefilter("ignore", RuntimeWarning)
        try:
            y = layer(x)
        except DOCUMENTED:
            return
        assert isinstance(y, np.ndarray) and y.dtype == np.float64 and y.ndim >= 2 and len(y) == len(x)
        assert y.ndim == np.ndim(x) or isinstance(layer, (tg.Flatten, tg.Reshape))
        try:
            dx = layer.backward(dy)
        except DOCUMENTED:
            return
        assert dx.shape == x.shape and dx.dtype == np.float64


LOSSES = [tg.MSE, tg.SumSquaredError, tg.BinaryCrossEntropy, tg.SoftmaxCrossEntropy]


@pytest.mark.parametrize("cls", LOSSES)
@given(pred=any_array(), target=any_array())
def test_losses_give_a_float_or_a_documented_error(cls, pred, target):
    loss = cls()
    with warnings.catch_warnings():
        if non_finite(pred) or non_finite(target):
            warnings.simplefilter("ignore", RuntimeWarning)
        try:
            value = loss(pred, target)
        except DOCUMENTED:
            return
        assert isinstance(value, float)
        assert loss.backward().shape == np.shape(pred)


hyperparameters = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5), st.none(), st.text(max_size=3),
    st.booleans(), st.just(np.array([0.1, 0.2])), st.tuples(st.floats(-1, 2), st.floats(-1, 2)),
)


@given(lr=hyperparameters, momentum=hyperparameters, nesterov=st.booleans(), weight_decay=hyperparameters,
       betas=hyperparameters, eps=hyperparameters)
def test_optimizers_are_built_or_refused_with_a_documented_error(lr, momentum, nesterov, weight_decay, betas, eps):
    for make in (lambda: tg.SGD([tg.Parameter([1.0])], lr, momentum, nesterov, weight_decay),
                 lambda: tg.Adam([tg.Parameter([1.0])], lr, betas, eps, weight_decay)):
        try:
            opt = make()
        except DOCUMENTED:
            continue
        opt.params[0].grad[...] = 1.0
        opt.step()
        assert np.isfinite(opt.params[0].value).all()


@given(st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=2), st.just(tg.Tanh())), max_size=4),
       st.one_of(st.integers(-2, 4), st.floats(), st.text(max_size=2), st.none()),
       st.one_of(st.integers(-2, 4), st.floats(), st.booleans()))
def test_constructors_accept_layers_and_positive_sizes_only(items, n_in, n_out):
    def is_number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)

    def is_size(v):
        return isinstance(v, int) and not isinstance(v, bool) and v >= 1

    all_layers = all(isinstance(item, tg.Layer) for item in items)
    cases = [
        (lambda: tg.Sequential(*items), all_layers),
        (lambda: tg.Parallel(*items), all_layers and bool(items)),
        (lambda: tg.Residual(items[0] if items else None), bool(items) and isinstance(items[0], tg.Layer)),
        (lambda: tg.Dense(n_in, n_out), is_size(n_in) and is_size(n_out)),
        (lambda: tg.Dropout(n_out), is_number(n_out) and 0 <= n_out < 1),
        (lambda: tg.LeakyReLU(n_in), is_number(n_in)),
    ]
    for make, valid in cases:
        try:
            make()
            made = True
        except DOCUMENTED:
            made = False
        assert made == valid


@st.composite
def training_data(draw):
    n = draw(st.integers(0, 12))
    X = draw(arrays(np.float64, (n, draw(st.integers(1, 3))), elements=st.floats(-1e3, 1e3)))
    y = draw(arrays(np.float64, (n, 1), elements=st.floats(-1e3, 1e3)))
    for array in (X, y):  # NaN and Inf at random places
        for _ in range(draw(st.integers(0, 2))):
            if array.size:
                array.flat[draw(st.integers(0, array.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return X, y


@given(training_data(), st.floats(1e-4, 1e4), st.integers(1, 5))
def test_fit_trains_or_stops_with_a_documented_error_and_finite_weights(data, lr, batch_size):
    X, y = data
    net = tg.Sequential(tg.Dense(X.shape[1], 4, rng=0), tg.Tanh(), tg.Dense(4, 1, rng=1))
    try:
        history = tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=lr), X, y, epochs=3, batch_size=batch_size,
                         progress=False)
    except (ValueError, FloatingPointError):
        pass
    else:
        assert all(np.isfinite(history.history["loss"]))
    assert all(np.isfinite(p.value).all() for p in net.parameters())


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "model.npz"
    tg.save(tg.Sequential(tg.Dense(3, 4, rng=0), tg.Tanh(), tg.Residual(tg.Dense(4, 4, rng=1))), path)
    return path.read_bytes()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_load_of_random_bytes_raises_value_error_naming_the_path(tmp_path, data):
    path = tmp_path / "random.npz"
    path.write_bytes(data)
    with pytest.raises(ValueError, match="random.npz"):
        tg.load(path)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_load_of_a_damaged_model_file_loads_it_or_raises_value_error(tmp_path, saved_model, data):
    damaged = bytearray(saved_model)
    for _ in range(data.draw(st.integers(1, 4))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(damaged)))
    path = tmp_path / "damaged.npz"
    path.write_bytes(bytes(damaged[:cut]))
    try:
        model = tg.load(path)  # zip's CRC check catches a changed byte in the data
    except ValueError as error:
        assert "damaged.npz" in str(error)
    else:
        assert repr(model) == "Sequential(Dense(3→4) >> Tanh >> Residual(Dense(4→4)))"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 3000))
def test_a_save_that_fails_after_any_number_of_bytes_leaves_the_old_file_and_no_stray_file(tmp_path, fail_after):
    path = tmp_path / "model.npz"
    tg.save(tg.Sequential(tg.Dense(2, 2, rng=0)), path)
    before = path.read_bytes()
    real_savez = np.savez

    def failing_savez(file, **arrays):
        class Failing:
            def __init__(self):
                self.written = 0

            def write(self, chunk):
                if self.written + len(chunk) > fail_after:
                    raise OSError("disk full")
                self.written += len(chunk)
                return file.write(chunk)

            def __getattr__(self, name):
                return getattr(file, name)

        real_savez(Failing(), **arrays)

    np.savez = failing_savez
    try:
        tg.save(tg.Sequential(tg.Dense(2, 2, rng=1), tg.Tanh()), path)
    except OSError:
        assert path.read_bytes() == before
    else:
        assert tg.load(path)[1].__class__ is tg.Tanh
    finally:
        np.savez = real_savez
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]


def test_hostile_archives_are_refused_before_anything_is_allocated(tmp_path):
    import json

    header = np.array(json.dumps({"format": "tinygraph", "version": 1, "dtype": "float64",
                                  "model": {"type": "Identity", "id": 0}}))
    path = tmp_path / "compressed.npz"
    np.savez_compressed(path, __tinygraph__=header)
    with pytest.raises(ValueError, match="compressed or encrypted"):
        tg.load(path)

    path = tmp_path / "huge.npz"  # a member whose header claims 10**12 floats
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("__tinygraph__.npy", "w") as member:
            np.lib.format.write_array(member, header)
        with archive.open("0.weight.npy", "w") as member:
            np.lib.format.write_array_header_1_0(member, {"descr": "<f8", "fortran_order": False, "shape": (10**6, 10**6)})
    with pytest.raises(ValueError, match="claims more data than the file holds"):
        tg.load(path)

    path = tmp_path / "ints.npz"
    np.savez(path, __tinygraph__=header, weight=np.ones(3, dtype=np.int64))
    with pytest.raises(ValueError, match="'weight' has dtype int64; expected floats"):
        tg.load(path)


@given(x=any_array(max_dims=2))
def test_gradcheck_checks_or_gives_a_documented_error(x):
    with warnings.catch_warnings():
        if non_finite(x):
            warnings.simplefilter("ignore", RuntimeWarning)
        warnings.filterwarnings("ignore", "gradcheck: .* checking a float64 copy", UserWarning)  # documented
        try:
            report = tg.gradcheck(tg.Sequential(tg.Dense(2, 2, rng=0), tg.Tanh()), x)
        except DOCUMENTED:
            return
    values = np.asarray(x, dtype=np.float64)
    finite = bool(np.isfinite(values).all())
    if values.size and finite and np.abs(values).max() < 5:
        assert report.ok, str(report)  # a correct smooth layer passes where tanh is not saturated
    if not finite:
        assert not report.ok, str(report)  # and NaN or Inf can never pass


# -- images, sequences, normalisation --------------------------------------------------------------------



@given(x=any_array(max_dims=3, max_side=4), dy=any_array(max_dims=4, max_side=4))
def test_embedding_gives_rows_or_a_documented_error(x, dy):
    layer = tg.Embedding(3, 2, rng=0)
    with warnings.catch_warnings():
        if non_finite(dy):
            warnings.simplefilter("ignore", RuntimeWarning)
        try:
            y = layer(x)
        except DOCUMENTED:
            assert not (x.dtype.kind in "iu" and x.ndim >= 1 and (x.size == 0 or (x.min() >= 0 and x.max() < 3)))
            return
        assert y.shape == (*x.shape, 2) and y.dtype == np.float64
        try:
            assert layer.backward(dy) is None
        except DOCUMENTED:
            return
