"""Weight initialisers: `init(shape, rng) -> ndarray` for a `(n_in, n_out)` weight.

Names accepted by `Dense(init=...)`:

- `"glorot_uniform"` (default): U(-a, a), a = sqrt(6 / (n_in + n_out))  (Keras' default)
- `"he_normal"`: N(0, sqrt(2 / n_in)), a plain normal as `torch.nn.init.kaiming_normal_`
- `"he_uniform"`: U(-a, a), a = sqrt(6 / n_in)
- `"uniform"`: U(-1, 1), the article's `2 * np.random.random((3, 4)) - 1`
- `"zeros"`

or any callable `init(shape, rng)` returning an array of that shape.
"""

import numpy as np


def glorot_uniform(shape, rng):
    limit = np.sqrt(6.0 / (shape[0] + shape[-1]))
    return rng.uniform(-limit, limit, size=shape)


def he_normal(shape, rng):
    return rng.normal(0.0, np.sqrt(2.0 / shape[0]), size=shape)


def he_uniform(shape, rng):
    limit = np.sqrt(6.0 / shape[0])
    return rng.uniform(-limit, limit, size=shape)


def uniform(shape, rng):
    return rng.uniform(-1.0, 1.0, size=shape)


def zeros(shape, rng):
    return np.zeros(shape)


INITIALIZERS = {f.__name__: f for f in (glorot_uniform, he_normal, he_uniform, uniform, zeros)}


def initial_values(init, shape, rng):
    """Draw the initial array of `shape` from `init` (a name in `INITIALIZERS` or a callable)."""
    if isinstance(init, str):
        if init not in INITIALIZERS:
            raise ValueError(f"unknown init {init!r}; choose one of {sorted(INITIALIZERS)} or pass a callable")
        init = INITIALIZERS[init]
    elif not callable(init):
        raise TypeError(f"init must be a name or a callable init(shape, rng), got {type(init).__name__}")
    values = np.asarray(init(shape, as_rng(rng)))
    if values.shape != shape:
        raise ValueError(f"init {getattr(init, '__name__', init)!r} returned shape {values.shape}, expected {shape}")
    return values


def as_rng(rng, owner="", name="rng"):
    """`None` (fresh entropy), an int seed >= 0 or a `np.random.Generator` -> a `np.random.Generator`.

    A wrong value raises an error that names `owner` and the argument `name` (`"fit: seed ..."`).
    """
    where = f"{owner}: " if owner else ""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        if rng is not None and rng < 0:
            raise ValueError(f"{where}{name} must be an int >= 0 (a seed), got {rng}")
        return np.random.default_rng(rng)
    raise TypeError(f"{where}{name} must be None, an int seed or a np.random.Generator, got {type(rng).__name__}")
