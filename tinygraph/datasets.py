"""Datasets as NumPy arrays `(X, y)`, batch first."""

import numpy as np

from . import checks
from .init import as_rng


def article():
    """The article's toy data: 4 samples of 3 binary features; the target is `x0 XOR x1` (x2 is a bias).

    >>> X, y = article()
    >>> X.shape, y.ravel()
    ((4, 3), array([0., 1., 1., 0.]))
    """
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)
    return X, y


def xor(n_samples=None, noise=0.0, seed=None):
    """XOR in 2-D: `X` is `(n_samples, 2)` float64, `y = x0 XOR x1` is `(n_samples,)` int64.

    With `n_samples=None`, the 4 corners `[[0, 0], [0, 1], [1, 0], [1, 1]]` in that order, labels
    `[0, 1, 1, 0]`. Otherwise `n_samples` corners in random order, each corner `n_samples // 4` times
    or once more (so the classes stay balanced); `X` is the corner plus N(0, noise**2) noise.

    >>> X, y = xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [0, 1, 1, 0])
    >>> X, y = xor(100, noise=0.1, seed=0)
    >>> X.shape, y.shape, y.sum()
    ((100, 2), (100,), np.int64(50))
    """
    checks.number("xor", "noise", noise, low=0)
    rng = as_rng(seed, "xor", "seed")
    if n_samples is None:
        corner = np.arange(4)
    else:
        checks.integer("xor", "n_samples", n_samples)
        corner = rng.permutation(np.arange(n_samples) % 4)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    X = with_noise("xor", corners[corner], noise, rng)
    y = np.array([0, 1, 1, 0], dtype=np.int64)[corner]
    return X, y


def spirals(n_samples=400, noise=0.1, turns=1.25, seed=None):
    """Two interleaved spirals in 2-D: `X` is `(n_samples, 2)` float64, `y` is `(n_samples,)` int64.

    Class 0 (`n_samples // 2` points) lies on the Archimedean spiral
    `x(t) = t * (cos(2 pi turns t), sin(2 pi turns t))` for `t` in (0, 1], class 1 (the rest) on
    `-x(t)`, the same spiral rotated by pi; both get N(0, noise**2) noise and are shuffled together.
    Points are evenly spaced along each arm (`t = sqrt((i + 1/2) / m)`, since the arc length grows
    like `t**2`), so few crowd the centre, where the arms meet. The defaults are a small MLP's task:
    a 2-64-64-2 ReLU net reaches about 95% test accuracy (tanh too, with larger first-layer weights
    than Glorot's, e.g. `init="he_uniform"`), a linear classifier about 65%.

    >>> X, y = spirals(200, seed=0)
    >>> X.shape, y.shape, y.sum()
    ((200, 2), (200,), np.int64(100))
    """
    checks.integer("spirals", "n_samples", n_samples)
    checks.number("spirals", "noise", noise, low=0)
    checks.number("spirals", "turns", turns, low=0, low_open=True)

    def arm(m):
        t = np.sqrt((np.arange(m) + 0.5) / m)
        angle = 2 * np.pi * np.fmod(turns * t, 1.0)  # whole turns dropped first: no overflow for any turns
        return t[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])

    n_0 = n_samples // 2
    return noisy_and_shuffled(arm(n_0), -arm(n_samples - n_0), noise, as_rng(seed, "spirals", "seed"), "spirals")


def moons(n_samples=400, noise=0.1, seed=None):
    """Two interleaved half-moons, as scikit-learn's `make_moons`: `X` `(n_samples, 2)`, `y` `(n_samples,)` int64.

    With `t` evenly spaced in [0, pi], class 0 (`n_samples // 2` points) is the upper moon
    `(cos t, sin t)`, class 1 (the rest) the lower moon `(1 - cos t, 0.5 - sin t)`; both get
    N(0, noise**2) noise and are shuffled together.

    >>> X, y = moons(100, seed=0)
    >>> X.shape, y.shape, y.sum()
    ((100, 2), (100,), np.int64(50))
    """
    checks.integer("moons", "n_samples", n_samples)
    checks.number("moons", "noise", noise, low=0)
    n_0 = n_samples // 2
    t_0, t_1 = np.linspace(0, np.pi, n_0), np.linspace(0, np.pi, n_samples - n_0)
    upper = np.column_stack([np.cos(t_0), np.sin(t_0)])
    lower = np.column_stack([1 - np.cos(t_1), 0.5 - np.sin(t_1)])
    return noisy_and_shuffled(upper, lower, noise, as_rng(seed, "moons", "seed"), "moons")


def digits():
    """scikit-learn's 1797 8x8 handwritten digits: `X` `(1797, 64)` float64 in [0, 1], `y` `(1797,)` int64 in 0-9.

    The pixel values 0-16 are divided by 16. Needs scikit-learn (`pip install 'tinygraph[examples]'`),
    which bundles the data, so nothing is downloaded.

    >>> X, y = digits()
    >>> X.shape, y.shape, X.max(), sorted(set(y.tolist())) == list(range(10))
    ((1797, 64), (1797,), np.float64(1.0), True)
    """
    try:
        from sklearn.datasets import load_digits
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "tinygraph.datasets.digits() needs scikit-learn: pip install 'tinygraph[examples]'"
        ) from error
    data = load_digits()
    return data.data.astype(np.float64) / 16.0, data.target.astype(np.int64)


def train_test_split(X, y, test_fraction=0.2, seed=None):
    """Split `(X, y)` by a seeded random permutation: returns `(X_train, y_train), (X_test, y_test)`.

    `X` and `y` are arrays with the same first dimension `n`; the test part gets `round(n * test_fraction)`
    samples, but when `n >= 2` each part gets at least one.

    >>> X, y = moons(100, seed=0)
    >>> (X_train, y_train), (X_test, y_test) = train_test_split(X, y, test_fraction=0.25, seed=0)
    >>> X_train.shape, y_train.shape, X_test.shape, y_test.shape
    ((75, 2), (75,), (25, 2), (25,))
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"train_test_split: X has {len(X)} samples but y has {len(y)}")
    checks.number("train_test_split", "test_fraction", test_fraction, low=0, high=1, low_open=True)
    n = len(X)
    n_test = round(n * test_fraction)
    if n >= 2:  # an empty part would make a later mean or accuracy meaningless
        n_test = min(max(n_test, 1), n - 1)
    order = as_rng(seed, "train_test_split", "seed").permutation(n)
    test, train = order[:n_test], order[n_test:]
    return (X[train], y[train]), (X[test], y[test])


def noisy_and_shuffled(X_0, X_1, noise, rng, owner):
    """Stack class 0's and class 1's points, add N(0, noise**2) to every coordinate and shuffle."""
    X = np.concatenate([X_0, X_1])
    y = np.repeat(np.array([0, 1], dtype=np.int64), [len(X_0), len(X_1)])
    X = with_noise(owner, X, noise, rng)
    order = rng.permutation(len(X))  # a training loop that slices without shuffling still sees both classes
    return X[order], y[order]


def with_noise(owner, X, noise, rng):
    """`X + noise * N(0, 1)`, or a `ValueError` if `noise` is so large that a point could overflow to Inf.

    A draw from N(0, 1) stays below 64 in magnitude (the odds of more are about 1e-890), so a noise
    above the largest float / 64 is refused whatever was drawn: the answer does not depend on the seed.
    """
    if noise > np.finfo(np.float64).max / 64:
        raise ValueError(f"{owner}: noise={noise:g} is too large: the points would overflow to Inf")
    with np.errstate(over="ignore", invalid="ignore"):  # these two lines only: checked just below
        noisy = X + noise * rng.standard_normal(X.shape)
    if not np.isfinite(noisy).all():
        raise ValueError(f"{owner}: noise={noise:g} is too large: the points would overflow to Inf")
    return noisy
