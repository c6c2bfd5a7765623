import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygraph as tg
from strategies import activation_and_input, dense_and_input
from tinygraph.testing import matrices, seeds, widths


@given(dense_and_input())
def test_dense_passes_gradcheck(layer_and_x):
    layer, x = layer_and_x
    assert tg.gradcheck(layer, x, allow_zero=True)  # a drawn example may have no nonzero gradient


@given(activation_and_input())
def test_activations_pass_gradcheck(layer_and_x):
    layer, x = layer_and_x
    assert tg.gradcheck(layer, x, allow_zero=True)  # a drawn example may have no nonzero gradient


@given(dense_and_input())
def test_dense_forward_is_x_at_w_plus_b(layer_and_x):
    layer, x = layer_and_x
    expected = x @ layer.weight.value + (layer.bias.value if layer.bias is not None else 0)
    np.testing.assert_allclose(layer(x), expected, rtol=1e-12, atol=1e-12)


@given(matrices(3, 4, low=-30.0, high=30.0))
def test_activations_match_their_formulas(x):
    np.testing.assert_allclose(tg.Sigmoid()(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_array_equal(tg.Tanh()(x), np.tanh(x))
    np.testing.assert_array_equal(tg.ReLU()(x), np.where(x > 0, x, 0.0))


@pytest.mark.parametrize("cls", [tg.Sigmoid, tg.Tanh, tg.ReLU])
def test_activations_stay_finite_and_quiet_at_extremes(cls):
    # pytest runs with warnings as errors, so an overflow warning would fail this test
    x = np.array([[-1e4, -800.0, -1.0, 0.0, 1.0, 800.0, 1e4]])
    layer = cls()
    y = layer(x)
    dx = layer.backward(np.ones_like(y))
    assert np.isfinite(y).all() and np.isfinite(dx).all()
    assert (y >= -1).all() and (y <= 1e4).all()


def test_sigmoid_is_exact_at_both_tails():
    y = tg.Sigmoid()(np.array([[-40.0, 40.0]]))
    np.testing.assert_allclose(y, [[np.exp(-40.0) / (1 + np.exp(-40.0)), 1 / (1 + np.exp(-40.0))]], rtol=1e-15)


def test_relu_gradient_at_zero_is_zero_as_in_pytorch():
    layer = tg.ReLU()
    layer(np.array([[0.0, 1.0, -1.0]]))
    np.testing.assert_array_equal(layer.backward(np.ones((1, 3))), [[0.0, 1.0, 0.0]])


@given(widths, widths, st.booleans(), seeds)
def test_dense_shapes_and_seeded_init(n_in, n_out, bias, seed):
    a = tg.Dense(n_in, n_out, bias=bias, rng=seed)
    b = tg.Dense(n_in, n_out, bias=bias, rng=seed)
    assert a.weight.value.shape == (n_in, n_out)
    assert (a.bias is None) == (not bias)
    np.testing.assert_array_equal(a.weight.value, b.weight.value)
    limit = np.sqrt(6 / (n_in + n_out))
    assert np.abs(a.weight.value).max() <= limit


@pytest.mark.parametrize(
    "init, check",
    [
        ("uniform", lambda w: np.abs(w).max() <= 1 and np.abs(w).max() > 0.5),
        ("zeros", lambda w: not w.any()),
        ("he_uniform", lambda w: np.abs(w).max() <= np.sqrt(6 / 50)),
        ("he_normal", lambda w: abs(w.std() - np.sqrt(2 / 50)) < 0.01),
        (lambda shape, rng: np.full(shape, 0.5), lambda w: (w == 0.5).all()),
    ],
)
def test_dense_initialisers(init, check):
    assert check(tg.Dense(50, 400, init=init, rng=0).weight.value)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(in_features=0, out_features=2), ValueError),
        (dict(in_features=2, out_features=2.5), ValueError),
        (dict(in_features=2, out_features=2, init="glorot"), ValueError),
        (dict(in_features=2, out_features=2, init=3), TypeError),
        (dict(in_features=2, out_features=2, rng="seed"), TypeError),
        (dict(in_features=2, out_features=2, init=lambda shape, rng: np.zeros(3)), ValueError),
    ],
)
def test_dense_refuses_bad_arguments(kwargs, error):
    with pytest.raises(error):
        tg.Dense(**kwargs)


def test_wrong_input_width_names_layer_and_both_shapes():
    layer = tg.Dense(3, 4)
    with pytest.raises(ValueError) as info:
        layer(np.zeros((5, 2)))
    message = str(info.value)
    assert "Dense(3→4)" in message and "(n_batch, ..., 3)" in message and "(5, 2)" in message


def every_layer():
    """One of each built-in layer and container, each taking 3 features."""
    return [
        tg.Dense(3, 1), tg.Sigmoid(), tg.Tanh(), tg.ReLU(), tg.LeakyReLU(), tg.Softmax(), tg.Dropout(0.5),
        tg.Identity(), tg.Sequential(tg.Dense(3, 2)), tg.Residual(tg.Dense(3, 3)), tg.Parallel(tg.Dense(3, 2)),
    ]


@pytest.mark.parametrize("layer", every_layer(), ids=repr)
def test_one_dimensional_input_suggests_the_reshape(layer):
    with pytest.raises(ValueError, match=r"reshape\(1, -1\).*reshape\(-1, 1\)"):
        layer(np.zeros(3))


@pytest.mark.parametrize("layer", every_layer(), ids=repr)
def test_backward_before_forward_says_so(layer):
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones((1, 3)))


def test_backward_with_wrong_shape_says_so():
    layer = tg.Dense(3, 2)
    layer(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"dy has shape \(4, 3\), expected \(4, 2\)"):
        layer.backward(np.zeros((4, 3)))


@pytest.mark.parametrize("values", [[[1, 2]], [[True, False]]])
def test_int_and_bool_inputs_are_cast_to_the_layer_dtype(values):
    assert tg.Dense(2, 1).astype(np.float32)(np.array(values)).dtype == np.float32
    assert tg.Tanh()(np.array(values)).dtype == np.float64


@pytest.mark.parametrize("values", [np.array([[1 + 2j]]), np.array([["a"]]), np.array([[None]], dtype=object)])
def test_complex_string_and_object_inputs_are_refused(values):
    with pytest.raises(TypeError, match="real numbers"):
        tg.Sigmoid()(values)


@given(matrices(4, 5, off_zero=True), st.floats(0.0, 1.0))
def test_leaky_relu_softmax_identity_pass_gradcheck(x, alpha):
    for layer in (tg.LeakyReLU(alpha), tg.Softmax(), tg.Identity()):
        assert tg.gradcheck(layer, x, allow_zero=True)  # a drawn example may have no nonzero gradient


@given(matrices(3, 4, low=-30.0, high=30.0), st.floats(0.0, 1.0))
def test_leaky_relu_and_softmax_match_their_formulas(x, alpha):
    np.testing.assert_array_equal(tg.LeakyReLU(alpha)(x), np.where(x > 0, x, alpha * x))
    y = tg.Softmax()(x)
    np.testing.assert_allclose(y, np.exp(x) / np.exp(x).sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-14)


@given(matrices(3, 4), matrices(3, 4))
def test_softmax_backward_is_the_full_jacobian_vector_product(x, dy):
    layer = tg.Softmax()
    y = layer(x)
    dx = layer.backward(dy)
    for i in range(len(x)):
        jacobian = np.diag(y[i]) - np.outer(y[i], y[i])  # dy_j/dx_k
        np.testing.assert_allclose(dx[i], jacobian.T @ dy[i], rtol=1e-10, atol=1e-14)


def test_softmax_and_leaky_relu_are_finite_and_quiet_at_extremes():
    x = np.array([[-1e4, 0.0, 1e4], [1e4, 1e4, -1e4]])
    for layer in (tg.Softmax(), tg.LeakyReLU(0.1)):
        y = layer(x)
        assert np.isfinite(y).all() and np.isfinite(layer.backward(np.ones_like(y))).all()


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_p_and_scales_the_rest(p):
    x = np.ones((200, 500))
    y = tg.Dropout(p, rng=0)(x)
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / (1 - p), rtol=1e-15)
    n = x.size  # the dropped count is Binomial(n, p): 6 standard deviations of slack
    assert abs((~kept).sum() - p * n) < 6 * np.sqrt(n * p * (1 - p))
    assert abs(y.mean() - 1) < 6 * np.sqrt(p / (1 - p) / n)


def test_dropout_backward_uses_the_forward_mask_and_eval_is_the_identity():
    layer = tg.Dropout(0.5, rng=1)
    x = np.random.default_rng(0).standard_normal((6, 7))
    y = layer(x)
    mask = y / x
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), mask)
    layer.eval()
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer.backward(x), x)


def test_dropout_is_seeded_and_keeps_float32():
    x = np.ones((4, 4), dtype=np.float32)
    a, b = tg.Dropout(0.5, rng=3), tg.Dropout(0.5, rng=3)
    np.testing.assert_array_equal(a(x), b(x))
    layer = tg.Dropout(0.5, rng=0).astype(np.float32)
    y = layer(x)
    assert y.dtype == np.float32 and layer.backward(y).dtype == np.float32


@pytest.mark.parametrize("p, message", [(-0.1, r"p must be in \[0, 1\)"), (1.0, r"p must be in \[0, 1\)"),
                                        (1.5, r"p must be in \[0, 1\)"), ("half", "p must be a number, got 'half'"),
                                        (True, "p must be a number, got True")])
def test_dropout_refuses_p_outside_zero_one(p, message):
    with pytest.raises(ValueError, match=message):
        tg.Dropout(p)


@pytest.mark.parametrize("alpha, message", [(float("nan"), "alpha must be a finite number, got nan"),
                                            ("0.1", "alpha must be a number, got '0.1'"),
                                            (None, "alpha must be a number, got None")])
def test_leaky_relu_refuses_a_bad_alpha(alpha, message):
    with pytest.raises(ValueError, match=message):
        tg.LeakyReLU(alpha)


@pytest.mark.parametrize("make", [tg.Softmax, lambda axis: tg.Parallel(tg.Identity(), axis=axis)], ids=["Softmax", "Parallel"])
@pytest.mark.parametrize("axis", [1.5, "x", True, None])
def test_an_axis_must_be_an_int_and_the_message_says_just_that(make, axis):
    with pytest.raises(ValueError, match=rf": axis must be an int, got {re.escape(repr(axis))}$"):
        make(axis=axis)
    assert make(axis=-2) is not None and make(axis=3) is not None  # any int; the input's rank is checked in forward


def test_reprs_of_the_new_layers():
    assert [repr(layer) for layer in (tg.LeakyReLU(), tg.Softmax(), tg.Dropout(0.25), tg.Identity())] == [
        "LeakyReLU(alpha=0.01)", "Softmax", "Dropout(p=0.25)", "Identity"
    ]


def test_relu_gives_plus_zero_for_negatives_and_for_minus_infinity():
    y = tg.ReLU()(np.array([[-2.0, -np.inf, 0.0, 3.0]]))
    np.testing.assert_array_equal(y, [[0.0, 0.0, 0.0, 3.0]])
    assert not np.signbit(y).any()
