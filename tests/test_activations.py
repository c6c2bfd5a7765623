"""GELU, ELU, SiLU, Softplus: their formulas, gradients, quiet extremes and settings (PyTorch: test_layers_torch.py)."""

import numpy as np
import pytest
from hypothesis import given

import tinygraph as tg
from tinygraph.testing import check_layer, matrices

SMOOTH = [tg.GELU(), tg.ELU(), tg.ELU(0.3), tg.SiLU(), tg.Softplus(), tg.Softplus(beta=2.0, threshold=5.0)]


@pytest.mark.parametrize("layer", SMOOTH, ids=repr)
@given(x=matrices(3, 4, low=-2.0, high=2.0))
def test_smooth_activations_pass_check_layer(layer, x):
    check_layer(layer, x)


@given(matrices(3, 4, low=-30.0, high=30.0))
def test_they_match_their_formulas(x):
    u = np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)
    np.testing.assert_allclose(tg.GELU()(x), 0.5 * x * (1 + np.tanh(u)), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(tg.ELU(0.5)(x), np.where(x > 0, x, 0.5 * (np.exp(x) - 1)), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(tg.SiLU()(x), x / (1 + np.exp(-x)), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(tg.Softplus(beta=2.0)(x), np.where(2 * x > 20, x, np.log1p(np.exp(2 * x)) / 2),
                               rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layer", SMOOTH, ids=repr)
def test_finite_and_quiet_at_extremes(layer, dtype):
    # pytest runs with warnings as errors, and these under the raising errstate of fit: no overflow anywhere
    x = np.array([[-1e4, -800.0, -100.0, -1.0, 0.0, 1.0, 100.0, 800.0, 1e4]], dtype=dtype)
    layer = layer.astype(dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y = layer(x)
        dx = layer.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == dtype and np.isfinite(y).all() and np.isfinite(dx).all()
    np.testing.assert_allclose(y[0, -1], 1e4, rtol=1e-6)  # each is x itself far to the right


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: tg.ELU("1"), "ELU: alpha must be a number"),
        (lambda: tg.Softplus(beta=0), "Softplus: beta must be > 0, got 0"),
        (lambda: tg.Softplus(threshold=float("inf")), "Softplus: threshold must be a finite number"),
    ],
)
def test_bad_settings_name_the_layer(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_reprs():
    assert [repr(layer) for layer in (tg.GELU(), tg.ELU(), tg.ELU(0.5), tg.SiLU(), tg.Softplus(), tg.Softplus(2, 10))] == [
        "GELU", "ELU", "ELU(alpha=0.5)", "SiLU", "Softplus", "Softplus(beta=2, threshold=10)"]
