import math
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygraph as tg
from tinygraph.testing import seeds
from tinygraph import datasets

# every generator of 2-D two-class data, as (name, generate(n_samples, noise, seed))
GENERATORS = {
    "xor": lambda n, noise, seed: datasets.xor(n, noise=noise, seed=seed),
    "spirals": lambda n, noise, seed: datasets.spirals(n, noise=noise, seed=seed),
    "moons": lambda n, noise, seed: datasets.moons(n, noise=noise, seed=seed),
}
generators = pytest.mark.parametrize("generate", GENERATORS.values(), ids=GENERATORS.keys())


def hide(monkeypatch, package):
    """Make `import package` and its submodules fail as if `package` were not installed."""
    for name in [name for name in sys.modules if name.split(".")[0] == package] + [package]:
        monkeypatch.setitem(sys.modules, name, None)


def sorted_rows(X):
    """The rows of `X` in lexicographic order, blind to rounding differences in the last bits."""
    return X[np.lexsort(np.round(X, 9).T[::-1])]


def linear_accuracy(X, y):
    """Training accuracy of the least-squares linear classifier `sign([X, 1] @ w)` on targets ±1."""
    A = np.column_stack([X, np.ones(len(X))])
    w, *_ = np.linalg.lstsq(A, 2.0 * y - 1.0, rcond=None)
    return np.mean((A @ w > 0) == y)


@generators
@given(n=st.integers(1, 500), noise=st.floats(0, 1), seed=seeds)
def test_generators_give_float_points_and_balanced_int_labels(generate, n, noise, seed):
    X, y = generate(n, noise, seed)
    assert X.shape == (n, 2) and X.dtype == np.float64 and np.isfinite(X).all()
    assert y.shape == (n,) and y.dtype == np.int64
    assert set(y.tolist()) <= {0, 1}
    assert abs(np.sum(y == 1) - np.sum(y == 0)) <= 1


@generators
@given(seed=seeds)
def test_same_seed_same_data_and_other_seeds_differ(generate, seed):
    X, y = generate(100, 0.1, seed)
    X_again, y_again = generate(100, 0.1, np.random.default_rng(seed))  # a Generator seeded alike
    np.testing.assert_array_equal(X, X_again)
    np.testing.assert_array_equal(y, y_again)
    X_other, _ = generate(100, 0.1, seed + 1)
    assert not np.array_equal(X, X_other)


@generators
def test_no_seed_draws_fresh_data(generate):
    assert not np.array_equal(generate(50, 0.1, None)[0], generate(50, 0.1, None)[0])


@generators
@pytest.mark.parametrize("noise", [0.03, 0.3])
def test_noise_is_gaussian_with_std_noise(generate, noise):
    # the same seed draws the same standard normals and order whatever `noise`, so the difference is the noise
    X, y = generate(4000, noise, 0)
    X_exact, y_exact = generate(4000, 0.0, 0)
    np.testing.assert_array_equal(y, y_exact)
    residual = X - X_exact
    assert abs(residual.mean()) < 0.1 * noise
    np.testing.assert_allclose(residual.std(axis=0), noise, rtol=0.05)


@generators
def test_classes_are_shuffled_together(generate):
    _, y = generate(400, 0.1, 0)
    assert 0.3 < y[:200].mean() < 0.7  # not class 0 first and class 1 after


def test_xor_without_n_samples_is_the_four_classic_points():
    X, y = datasets.xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    assert X.dtype == np.float64 and y.dtype == np.int64


@given(n=st.integers(1, 400), seed=seeds)
def test_xor_labels_are_the_xor_of_the_nearest_corner(n, seed):
    X, y = datasets.xor(n, noise=0.05, seed=seed)
    corner = np.rint(X).astype(np.int64)
    assert set(map(tuple, corner.tolist())) <= {(0, 0), (0, 1), (1, 0), (1, 1)}
    np.testing.assert_array_equal(y, corner[:, 0] ^ corner[:, 1])


@given(k=st.integers(1, 50), seed=seeds)
def test_xor_draws_every_corner_equally_often(k, seed):
    X, _ = datasets.xor(4 * k, seed=seed)
    _, counts = np.unique(X, axis=0, return_counts=True)
    np.testing.assert_array_equal(counts, [k, k, k, k])


@given(n=st.integers(2, 400), seed=seeds)
def test_noiseless_moons_lie_on_their_half_circles(n, seed):
    X, y = datasets.moons(n, noise=0.0, seed=seed)
    upper, lower = X[y == 0], X[y == 1] - [1.0, 0.5]  # the lower moon is a circle about (1, 0.5)
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, rtol=1e-14)
    np.testing.assert_allclose(np.hypot(*lower.T), 1.0, rtol=1e-14)
    assert (upper[:, 1] >= 0).all() and (lower[:, 1] <= 1e-15).all()


@pytest.mark.parametrize("n", [2, 7, 400])
def test_moons_are_scikit_learns_moons(n):
    from sklearn.datasets import make_moons

    X, y = datasets.moons(n, noise=0.0, seed=0)
    X_sk, y_sk = make_moons(n, shuffle=False, noise=0.0)
    for label in (0, 1):  # the same points per class, in any order
        np.testing.assert_allclose(sorted_rows(X[y == label]), sorted_rows(X_sk[y_sk == label]), atol=1e-15)


@given(n=st.integers(2, 400), turns=st.floats(0.25, 3), seed=seeds)
def test_noiseless_spirals_lie_on_their_arms(n, turns, seed):
    X, y = datasets.spirals(n, noise=0.0, turns=turns, seed=seed)
    assert np.abs(X).max() <= 1
    for label, sign in ((0, 1.0), (1, -1.0)):  # class 1 is class 0 rotated by pi
        x = sign * X[y == label]
        t = np.hypot(*x.T)
        angle = 2 * np.pi * turns * t
        np.testing.assert_allclose(x, t[:, None] * np.column_stack([np.cos(angle), np.sin(angle)]), atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_spirals_defeat_a_linear_classifier(seed):
    assert linear_accuracy(*datasets.spirals(seed=seed)) < 0.75


def test_a_quarter_turn_is_linearly_separable_so_the_check_above_can_fail():
    assert linear_accuracy(*datasets.spirals(turns=0.25, seed=0)) > 0.95


def test_spirals_are_learnt_by_a_small_mlp():
    rng = np.random.default_rng(0)
    (X_train, y_train), (X_test, y_test) = datasets.train_test_split(*datasets.spirals(seed=rng), seed=rng)
    net = tg.Sequential(tg.Dense(2, 64, rng=rng), tg.ReLU(), tg.Dense(64, 64, rng=rng), tg.ReLU(), tg.Dense(64, 2, rng=rng))
    optimizer = tg.Adam(net.parameters(), lr=0.01)
    tg.fit(net, tg.SoftmaxCrossEntropy(), optimizer, X_train, y_train, epochs=100, seed=rng, progress=False)
    assert np.mean(net.predict(X_test).argmax(axis=1) == y_test) > 0.9


def test_digits_are_scikit_learns_scaled_to_the_unit_interval():
    from sklearn.datasets import load_digits

    X, y = datasets.digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    np.testing.assert_array_equal(np.unique(y), np.arange(10))
    np.testing.assert_array_equal(X * 16, load_digits().data)


def test_digits_without_scikit_learn_says_what_to_install(monkeypatch):
    hide(monkeypatch, "sklearn")
    with pytest.raises(ModuleNotFoundError, match=r"scikit-learn: pip install 'tinygraph\[examples\]'") as info:
        datasets.digits()
    assert isinstance(info.value.__cause__, ModuleNotFoundError)  # chained, so the real cause stays visible


def test_importing_datasets_does_not_import_scikit_learn():
    script = "import sys, tinygraph.datasets; assert 'sklearn' not in sys.modules"
    subprocess.run([sys.executable, "-W", "error", "-c", script], check=True, cwd=Path(__file__).parents[1])


@given(
    n=st.integers(0, 300),
    test_fraction=st.floats(0, 1, exclude_min=True, exclude_max=True),
    seed=seeds,
)
def test_train_test_split_is_a_partition_of_the_requested_size(n, test_fraction, seed):
    X, y = np.arange(3 * n, dtype=np.float64).reshape(n, 3), np.arange(n)
    (X_train, y_train), (X_test, y_test) = datasets.train_test_split(X, y, test_fraction=test_fraction, seed=seed)
    expected = round(n * test_fraction)
    if n >= 2:
        expected = min(max(expected, 1), n - 1)
    assert len(y_test) == len(X_test) == expected
    assert len(y_train) == len(X_train) == n - expected
    np.testing.assert_array_equal(np.sort(np.concatenate([y_train, y_test])), y)  # disjoint and covering
    np.testing.assert_array_equal(X_train[:, 0], 3 * y_train)  # rows stay with their labels
    np.testing.assert_array_equal(X_test[:, 0], 3 * y_test)
    assert X_train.dtype == X.dtype and y_test.dtype == y.dtype


@given(seed=seeds)
def test_train_test_split_is_seeded_and_random(seed):
    X, y = np.zeros((100, 2)), np.arange(100)
    first = datasets.train_test_split(X, y, seed=seed)[1][1]
    np.testing.assert_array_equal(first, datasets.train_test_split(X, y, seed=np.random.default_rng(seed))[1][1])
    assert not np.array_equal(first, datasets.train_test_split(X, y, seed=seed + 1)[1][1])
    assert not np.array_equal(np.sort(first), np.arange(80, 100))  # not simply the last fifth


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: datasets.xor(0), r"^xor: n_samples must be an int >= 1, got 0$"),
        (lambda: datasets.xor(10, noise=-0.1), r"^xor: noise must be >= 0, got -0.1$"),
        (lambda: datasets.spirals(2.5), r"^spirals: n_samples .* got 2.5$"),
        (lambda: datasets.spirals(True), r"^spirals: n_samples .* got True$"),
        (lambda: datasets.spirals(noise=math.inf), r"^spirals: noise .* got inf$"),
        (lambda: datasets.spirals(turns=0), r"^spirals: turns must be > 0, got 0.0$"),
        (lambda: datasets.moons(-3), r"^moons: n_samples .* got -3$"),
        (lambda: datasets.moons(noise=math.nan), r"^moons: noise .* got nan$"),
        (lambda: datasets.moons(noise="0.1"), r"^moons: noise .* got '0.1'$"),
        (lambda: datasets.train_test_split(np.zeros((5, 2)), np.zeros(4)), r"^train_test_split: X has 5 samples but y has 4$"),
    ],
)
def test_bad_arguments_name_the_function_and_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("test_fraction", [0, 1, -0.1, 1.5, math.nan, "0.2"])
def test_train_test_split_refuses_fractions_outside_zero_one(test_fraction):
    rule = "a number" if isinstance(test_fraction, str) else r"in \(0, 1\)"
    with pytest.raises(ValueError, match=rf"^train_test_split: test_fraction must be {rule}, got"):
        datasets.train_test_split(np.zeros((10, 2)), np.zeros(10), test_fraction=test_fraction)


@generators
def test_a_seed_that_is_not_a_seed_is_refused(generate):
    with pytest.raises(TypeError, match=r"^(xor|spirals|moons): seed must be None, an int seed or a np.random.Generator, got str"):
        generate(10, 0.1, "seed")
    with pytest.raises(ValueError, match=r"^(xor|spirals|moons): seed must be an int >= 0 \(a seed\), got -1"):
        generate(10, 0.1, -1)


@pytest.mark.parametrize("make, message", [
    (lambda: datasets.moons(noise=1e308), "moons: noise=1e+308 is too large: the points would overflow to Inf"),
    (lambda: datasets.spirals(noise=1e308), "spirals: noise=1e+308 is too large"),
    (lambda: datasets.xor(8, noise=1e308), "xor: noise=1e+308 is too large"),
])
def test_noise_too_large_for_floats_is_refused_without_a_warning(make, message):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="^" + re.escape(message)):
            make()


@pytest.mark.parametrize("turns", [1e308, 1e300, 1e20])
def test_any_number_of_turns_gives_finite_spirals_quietly(turns):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, y = datasets.spirals(50, noise=0.0, turns=turns, seed=0)
    assert np.isfinite(X).all()
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(np.sort(radius), np.sort(np.tile(np.sqrt((np.arange(25) + 0.5) / 25), 2)), rtol=1e-12)
