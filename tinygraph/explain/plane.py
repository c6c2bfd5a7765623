"""The input plane, for models of two input features: the decision boundary and per-neuron maps.

The page colours a grid over the data by the model's output (the decision boundary) and, as the
TensorFlow Playground does, draws each neuron of the first hidden column over the same plane. The
pictures are bytes (0..255), base64-encoded: a 32 x 32 grid costs 1.4 kB a step.
"""

import base64

import numpy as np

GRID = 32  # cells per side of the decision boundary
MAP_GRID = 16  # cells per side of a neuron's map: every other cell of the same grid
MAX_POINTS = 600  # data points drawn over the boundary


def grid(X):
    """The `GRID * GRID` points of a square around the data (10% margin), row by row from the top,
    and the extent `[x_min, x_max, y_min, y_max]`."""
    low, high = X.min(axis=0), X.max(axis=0)
    margin = 0.1 * np.maximum(high - low, 1e-9)
    low, high = low - margin, high + margin
    xs = np.linspace(low[0], high[0], GRID)
    ys = np.linspace(high[1], low[1], GRID)  # the top row first, as an image
    points = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    return points, [float(low[0]), float(high[0]), float(low[1]), float(high[1])]


def as_bytes(values):
    """Values in [0, 1] as base64 bytes (values outside are clipped)."""
    quantised = np.round(np.clip(np.nan_to_num(values, nan=0.5), 0, 1) * 255).astype(np.uint8)
    return base64.b64encode(quantised.tobytes()).decode("ascii")


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def labels_of(target, n_outputs):
    """What colours a data point: the class index, or for one output a value in [0, 1] (see `scores`)."""
    target = np.asarray(target)
    if target.ndim == 1:
        return target.astype(np.float64)
    target = target.reshape(len(target), -1)
    if target.shape[1] > 1:
        return target.argmax(axis=1).astype(np.float64)
    return target[:, 0].astype(np.float64)


def kind_of(n_outputs):
    """`"score"`: one number in [0, 1] per cell (one output, or the second class of two); `"classes"`:
    the winning class and its probability, for three outputs or more."""
    return "score" if n_outputs <= 2 else "classes"


def scores(y, target_range):
    """The model's outputs `y` (`(cells, n_outputs)`) as what the boundary shows, as base64 bytes.

    One output is scaled from the targets' range to [0, 1]; several are taken as class scores (softmax
    of the logits, or the probabilities themselves if they are ones): two give the probability of the
    second class, more give each cell's class and its probability, two bytes per cell.
    """
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    if y.shape[1] == 1:
        low, high = target_range
        return as_bytes((y[:, 0] - low) / (high - low))
    probabilities = y if (y >= 0).all() and np.allclose(y.sum(axis=1), 1) else softmax(y)
    if y.shape[1] == 2:
        return as_bytes(probabilities[:, 1])
    winner = probabilities.argmax(axis=1)
    pairs = np.stack([winner / 255, probabilities.max(axis=1)], axis=1)
    return as_bytes(pairs.ravel())


def target_range(labels):
    low, high = float(np.min(labels)), float(np.max(labels))
    return (low, high) if high > low else (low - 1, high + 1)


def maps(values):
    """Each neuron's map over the grid, as base64 bytes per step: `values` is a list over steps of
    `(GRID * GRID, units)` arrays. One symmetric scale per neuron for the whole run (returned too), so
    a map that grows brighter is a neuron whose output grows."""
    if not values:
        return [], []
    every_other = np.arange(GRID * GRID).reshape(GRID, GRID)[::GRID // MAP_GRID, ::GRID // MAP_GRID].ravel()
    small = [np.asarray(v)[every_other] for v in values]
    scale = np.maximum(np.max([np.abs(v).max(axis=0) for v in small], axis=0), 1e-12)
    encoded = [[as_bytes((v[:, unit] / scale[unit] + 1) / 2) for unit in range(v.shape[1])] for v in small]
    return encoded, scale.tolist()


def points(X, labels):
    """At most `MAX_POINTS` of the data points (spread evenly), with their labels."""
    keep = np.unique(np.linspace(0, len(X) - 1, min(len(X), MAX_POINTS)).round().astype(int))
    return {"x": np.round(X[keep], 4).tolist(), "label": np.round(labels[keep], 4).tolist()}
