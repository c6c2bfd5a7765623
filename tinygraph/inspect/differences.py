"""Numeric gradients by central differences, and their comparison with a backward's (one `TensorCheck`).

`scalar()` is the function checked, `s`; `tensor` is an array it reads (an input or a parameter's
value), perturbed in place and always put back exactly as it was.

- Full mode, element by element: `numeric[i] = (s(v + eps e_i) - s(v - eps e_i)) / (2 eps)`, two
  evaluations per element.
- Fast mode, along a few random directions `u` (entries ~ N(0, 1), as chainer's `check_backward` and
  torch's `fast_mode`): the analytic `<grad, u>` against `|u| (s(v + eps û) - s(v - eps û)) / (2 eps)`
  with `û = u / |u|`, two evaluations per direction whatever the tensor's size. The step has length
  `eps`, so the differences are as accurate as in full mode; `u` has entries of order 1, so
  `atol` means what it means in full mode. A bug in a single element of `n` is diluted by about
  `1/sqrt(n)` relative to the whole gradient: fast mode is for tensors too big for full mode.

Both also take the one-sided differences, for kinks (see `compare`).
"""

import numpy as np

from .report import TensorCheck


def elementwise(scalar, tensor, eps, s0):
    """Central and both one-sided differences of `scalar()` for every element of `tensor`."""
    central, forward, backward = (np.zeros(tensor.shape) for _ in range(3))
    for index in np.ndindex(tensor.shape):
        original = tensor[index]
        tensor[index] = original + eps
        s_plus = scalar()
        tensor[index] = original - eps
        s_minus = scalar()
        tensor[index] = original
        central[index] = (s_plus - s_minus) / (2 * eps)
        forward[index] = (s_plus - s0) / eps
        backward[index] = (s0 - s_minus) / eps
    return central, forward, backward


def directional(scalar, tensor, eps, s0, directions):
    """Central and one-sided derivatives of `scalar()` along each of `directions` (arrays shaped like `tensor`)."""
    original = tensor.copy()
    central, forward, backward = (np.zeros(len(directions)) for _ in range(3))
    for k, u in enumerate(directions):
        length = np.sqrt(np.sum(u * u))  # not np.linalg.norm: BLAS threads cost more than they save here
        tensor[...] = original + eps * (u / length)
        s_plus = scalar()
        tensor[...] = original - eps * (u / length)
        s_minus = scalar()
        tensor[...] = original
        central[k] = length * (s_plus - s_minus) / (2 * eps)
        forward[k] = length * (s_plus - s0) / eps
        backward[k] = length * (s0 - s_minus) / eps
    return central, forward, backward


def random_directions(rng, shape, count):
    return [rng.standard_normal(shape) for _ in range(count)]


def random_elements(rng, shape, count):
    """Directions along single elements, `count` of them chosen at random (every element, if fewer): the
    derivative along one is the element's partial derivative, and at a kink its one-sided slopes are the
    element's own, as in full mode. (A random direction moves many elements: where several tie, as in a
    max-pooling window of zeros after a ReLU, its one-sided slopes mix the ties and a correct backward
    can fail.)"""
    size = int(np.prod(shape))
    chosen = rng.choice(size, min(count, size), replace=False)
    return [np.eye(1, size, k).reshape(shape) for k in chosen]


def along(grad, directions):
    """The analytic derivatives `<grad, u>` along each direction."""
    return np.array([np.sum(grad * u) for u in directions])


def compare(name, analytic, numeric, settings, directional=False, shape=None):
    """A `TensorCheck` of `analytic` against `numeric` = (central, forward, backward), value by value.

    A value passes when `|analytic - numeric| <= atol + rtol * |numeric|` (as `np.allclose`). At a kink
    (ReLU at 0) the one-sided slopes disagree and the central one is meaningless; there a backward that
    matches one of them passes, and is counted. Where both gradients are within `atol` of zero
    everywhere, nothing was checked: the row is `vacuous`, and fails unless `settings.allow_zero`.
    """
    atol, rtol = settings.atol, settings.rtol
    central, forward, backward = numeric
    if analytic.size == 0:
        return TensorCheck(name, analytic.shape, 0.0, 0.0, None, None, None, True, 0, directional=directional)

    def close(reference):
        return np.abs(analytic - reference) <= atol + rtol * np.abs(reference)

    shape = analytic.shape if shape is None else shape
    ok_central, ok_forward, ok_backward = close(central), close(forward), close(backward)
    at_kink = ~ok_central & ~np.isclose(forward, backward, rtol=rtol, atol=atol) & (ok_forward | ok_backward)
    numeric = np.where(at_kink, np.where(ok_forward, forward, backward), central)
    ok = ok_central | at_kink
    error = np.abs(analytic - numeric)
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    relative = np.divide(error, scale, out=np.zeros_like(error), where=scale > atol)
    badness = np.where(ok, 0.0, error / (atol + rtol * np.abs(numeric)))
    worst = np.unravel_index(np.argmax(badness) if not ok.all() else np.argmax(error), error.shape)
    vacuous = bool(ok.all() and scale.max() <= atol)
    return TensorCheck(
        name, shape, float(error.max()), float(relative.max()), tuple(int(i) for i in worst),
        float(analytic[worst]), float(numeric[worst]), bool(ok.all()) and (not vacuous or settings.allow_zero),
        int(at_kink.sum()), vacuous=vacuous, directional=directional,
    )
