import numpy as np
import pytest
from hypothesis import given

import tinygraph as tg
import twins
from strategies import activation_and_input
from tinygraph.testing import matrices


def row(report, name):
    return next(r for r in report.rows if r.name == name)


@pytest.mark.parametrize("twin", twins.BROKEN_LAYERS)
@given(x=matrices(3, 4, low=0.1, high=3.0))  # positive, so a ReLU passes every gradient through
def test_every_broken_activation_is_reported(twin, x):
    report = tg.gradcheck(twin(), x)
    assert not report.ok
    assert "FAILED" in str(report)


@given(x=matrices(3, 4, off_zero=True))
def test_the_real_activations_pass_where_their_twins_fail(x):
    for real in (tg.Sigmoid, tg.Tanh, tg.ReLU):
        assert tg.gradcheck(real(), x).ok


def test_each_twin_is_caught_by_the_check_meant_for_it():
    x = np.random.default_rng(0).uniform(0.1, 2, (3, 4))
    assert not row(tg.gradcheck(twins.WrongFactorSigmoid(), x), "input").ok
    assert not row(tg.gradcheck(twins.IgnoresUpstreamTanh(), x), "input").ok
    assert not row(tg.gradcheck(twins.WrongSignReLU(), x), "input").ok
    noisy = tg.gradcheck(twins.NoisyBackwardTanh(), x)  # within tolerance, but not deterministic
    assert row(noisy, "input").ok and not noisy.ok
    assert "same input gradient: NO" in str(noisy)


def test_a_dense_that_forgets_its_bias_gradient_is_reported_on_the_bias():
    layer = twins.ForgetsBiasDense(3, 2, rng=0)
    report = tg.gradcheck(layer, np.ones((4, 3)))
    assert row(report, "weight").ok and row(report, "input").ok
    assert not row(report, "bias").ok and not report.ok


def test_a_dense_that_overwrites_its_gradient_is_caught_by_the_doubling_check():
    report = tg.gradcheck(twins.OverwritesGradDense(3, 2, rng=0), np.ones((4, 3)))
    assert all(r.ok for r in report.rows)  # one pass alone looks right ...
    assert not report.ok and "every parameter gradient doubles (not weight): NO" in str(report)


def test_broken_layers_are_caught_inside_a_network():
    net = tg.Sequential(tg.Dense(3, 4, rng=0), twins.WrongFactorSigmoid(), tg.Dense(4, 2, rng=1))
    report = tg.gradcheck(net, np.random.default_rng(1).standard_normal((5, 3)))
    assert not row(report, "0.weight").ok and not row(report, "input").ok
    assert row(report, "2.weight").ok  # the layer after the bug still gets the right gradient


@pytest.mark.parametrize(
    "twin, pred, target",
    [
        (twins.HalfGradientMSE, np.array([[0.3, -1.2]]), np.array([[1.0, 0.5]])),
        (twins.WrongSignBCE, np.array([[0.3, 0.8]]), np.array([[1.0, 0.0]])),
        (twins.NoMeanSoftmaxCrossEntropy, np.array([[0.3, -1.2], [2.0, 0.1]]), np.array([0, 1])),
    ],
)
def test_broken_losses_are_reported(twin, pred, target):
    assert not tg.gradcheck(twin(), pred, target=target)
    assert tg.gradcheck(type(twin()).__mro__[1](), pred, target=target)


def test_report_table_names_tensors_worst_index_and_values():
    layer = twins.ForgetsBiasDense(3, 2, rng=0)
    text = str(tg.gradcheck(layer, np.ones((4, 3)), seed=3))
    lines = text.splitlines()
    assert lines[0] == "gradcheck ForgetsBiasDense(3→2): FAILED"
    assert "eps=1e-06" in lines[1] and "atol=1e-05" in lines[1] and "rtol=0.0001" in lines[1] and "seed 3" in lines[1]
    assert lines[2].split() == ["tensor", "shape", "max", "abs", "err", "max", "rel", "err", "worst", "index", "analytic", "numeric", "result"]
    bias_line = next(line for line in lines if line.strip().startswith("bias"))
    cells = bias_line.split()
    assert cells[-1] == "FAIL" and cells[-3] == "0"  # analytic 0 where the numeric gradient is not
    assert [line.split()[0] for line in lines[3:6]] == ["input", "weight", "bias"]


def test_gradcheck_leaves_the_model_and_input_as_it_found_them():
    net = tg.Sequential(tg.Dense(3, 4, rng=0), tg.Tanh(), tg.Dense(4, 1, rng=1))
    y = net(np.ones((2, 3)))
    net.backward(np.ones_like(y))
    before = [(p.value.copy(), p.grad.copy()) for p in net.parameters()]
    x = np.random.default_rng(0).standard_normal((2, 3))
    x_before = x.copy()
    assert tg.gradcheck(net, x)
    for (value, grad), p in zip(before, net.parameters()):
        np.testing.assert_array_equal(p.value, value)
        np.testing.assert_array_equal(p.grad, grad)
    np.testing.assert_array_equal(x, x_before)


def test_a_relu_exactly_at_its_kink_is_compared_one_sided():
    report = tg.gradcheck(tg.ReLU(), np.array([[0.0, 1.0, -1.0]]))
    assert report.ok and row(report, "input").kinks == 1
    assert "1 at kinks, one-sided" in str(report)


def test_a_wrong_gradient_at_a_kink_is_still_reported():
    assert not tg.gradcheck(twins.WrongSignReLU(), np.array([[0.0, 1.0, -1.0]]))


@given(activation_and_input())
def test_float32_models_are_checked_in_float64_with_a_warning(layer_and_x):
    layer, x = layer_and_x
    layer.astype(np.float32)
    with pytest.warns(UserWarning, match="float64 copy"):
        report = tg.gradcheck(layer, x.astype(np.float32))
    assert report.ok
    assert layer.dtype == np.float32  # the model itself stays float32


def test_gradcheck_refuses_what_it_cannot_check():
    with pytest.raises(TypeError, match="Layer or Loss"):
        tg.gradcheck(lambda x: x, np.ones((1, 1)))
    with pytest.raises(TypeError, match="needs target="):
        tg.gradcheck(tg.MSE(), np.ones((1, 1)))


def test_a_backward_returning_the_wrong_shape_is_reported():
    class Flattens(tg.Tanh):
        def backward(self, dy):
            return super().backward(dy).ravel()

    report = tg.gradcheck(Flattens(), np.ones((2, 2)))
    assert not report.ok and "backward gave shape (4,), expected shape (2, 2)" in str(report)


@pytest.mark.parametrize("kwargs, match", [
    (dict(eps=0), r"^gradcheck: eps must be > 0, got 0.0"),
    (dict(eps=-1e-6), r"^gradcheck: eps must be > 0"),
    (dict(eps=float("inf")), r"^gradcheck: eps must be > 0, got inf"),
    (dict(atol=float("nan")), r"^gradcheck: atol must be >= 0, got nan"),
    (dict(rtol=-1), r"^gradcheck: rtol must be >= 0, got -1.0"),
    (dict(eps="small"), r"^gradcheck: eps must be a number, got 'small'"),
    (dict(seed=-1), r"^gradcheck: seed must be an int >= 0, got -1"),
])
def test_gradcheck_names_a_wrong_setting(kwargs, match):
    with pytest.raises(ValueError, match=match):
        tg.gradcheck(tg.Tanh(), np.ones((2, 2)), **kwargs)
