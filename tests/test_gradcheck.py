import numpy as np
import pytest
from hypothesis import given

import tinygraph as tg
import twins
from strategies import activation_and_input
from tinygraph.inspect.gradcheck import FULL_MODE_LIMIT
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
        assert tg.gradcheck(real(), x, allow_zero=real is tg.ReLU).ok  # all negative: a ReLU passes nothing


def test_each_twin_is_caught_by_the_check_meant_for_it():
    x = np.random.default_rng(0).uniform(0.1, 2, (3, 4))
    assert not row(tg.gradcheck(twins.WrongFactorSigmoid(), x), "input").ok
    assert not row(tg.gradcheck(twins.IgnoresUpstreamTanh(), x), "input").ok
    assert not row(tg.gradcheck(twins.WrongSignReLU(), x), "input").ok
    noisy = tg.gradcheck(twins.NoisyBackwardTanh(), x)  # within tolerance, but not deterministic
    assert row(noisy, "input").ok and not noisy.ok
    assert "the same gradients, bit for bit (not input): NO" in str(noisy)
    dtype = tg.gradcheck(twins.Float32BackwardTanh(), x)  # within tolerance, but of the wrong dtype
    assert row(dtype, "input").ok and not dtype.ok
    assert "(not Float32BackwardTanh: backward returned dx of dtype float32 for an input of dtype float64): NO" in str(dtype)
    sneaky = tg.gradcheck(twins.SneakyDecayDense(4, 2, rng=0), x)
    assert all(r.ok for r in sneaky.rows) and "with dy = 0 every gradient is 0 (not weight:" in str(sneaky)


def test_a_dense_that_forgets_its_bias_gradient_is_reported_on_the_bias():
    layer = twins.ForgetsBiasDense(3, 2, rng=0)
    report = tg.gradcheck(layer, np.ones((4, 3)))
    assert row(report, "weight").ok and row(report, "input").ok
    assert not row(report, "bias").ok and not report.ok


def test_a_dense_that_overwrites_its_gradient_is_caught_by_the_doubling_check():
    report = tg.gradcheck(twins.OverwritesGradDense(3, 2, rng=0), np.ones((4, 3)))
    assert all(r.ok for r in report.rows)  # one pass alone looks right ...
    assert not report.ok and "every parameter gradient doubles (not weight): NO" in str(report)


def test_a_layer_that_writes_into_its_input_or_dy_is_named():
    x = np.random.default_rng(0).uniform(0.1, 2, (3, 4))
    report = tg.gradcheck(tg.Sequential(tg.Sigmoid(), twins.MutatesInputTanh()), x)
    assert report.culprit == "1" and "forward modified its input x:" in report.blame
    report = tg.gradcheck(tg.Parallel(twins.MutatesUpstreamSigmoid(), tg.Tanh(), merge="add"), x)
    assert report.culprit == "0" and "backward modified its upstream gradient dy:" in report.blame


@pytest.mark.parametrize(
    "twin, pred, target",
    [
        (twins.HalfGradientMSE, np.array([[0.3, -1.2]]), np.array([[1.0, 0.5]])),
        (twins.WrongSignBCE, np.array([[0.3, 0.8]]), np.array([[1.0, 0.0]])),
        (twins.NoMeanSoftmaxCrossEntropy, np.array([[0.3, -1.2], [2.0, 0.1]]), np.array([0, 1])),
    ],
)
def test_broken_losses_are_reported(twin, pred, target):
    assert not tg.gradcheck(twin(), pred, target=target).ok
    assert tg.gradcheck(type(twin()).__mro__[1](), pred, target=target)


def test_report_lists_failures_first_and_names_tensors_worst_index_and_values():
    layer = twins.ForgetsBiasDense(3, 2, rng=0)
    lines = str(tg.gradcheck(layer, np.ones((4, 3)), seed=3)).splitlines()
    assert lines[0] == "gradcheck ForgetsBiasDense(3→2): FAILED; wrong: bias"
    assert lines[1].split() == ["tensor", "shape", "max", "abs", "err", "max", "rel", "err", "worst", "index", "analytic", "numeric", "result"]
    cells = lines[2].split()
    assert cells[0] == "bias" and cells[-1] == "FAIL" and cells[-3] == "0"  # analytic 0 where the numeric is not
    assert [line.split()[0] for line in lines[3:5]] == ["input", "weight"]  # then the rows that passed
    method = next(line for line in lines if "full mode" in line)
    assert "eps=1e-06" in method and "seed 3" in method
    assert "atol=1e-05, rtol=0.0001" in lines[-1]


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


def test_a_tensor_with_only_zero_gradients_checks_nothing_and_fails_unless_allowed():
    x = -np.random.default_rng(0).uniform(0.1, 2, (3, 4))  # every ReLU dead
    report = tg.gradcheck(tg.ReLU(), x)
    assert not report.ok and row(report, "input").vacuous
    assert "FAIL: nothing checked, all 0" in str(report) and "pass allow_zero=True" in report.failures()[0]
    allowed = tg.gradcheck(tg.ReLU(), x, allow_zero=True)
    assert allowed.ok and "nothing checked: all 0 (allowed)" in str(allowed)
    assert tg.gradcheck(twins.WrongSignReLU(), -x, allow_zero=True).ok is False  # allowing zeros hides no bug
    saturated = tg.gradcheck(tg.Sigmoid(), np.full((2, 2), 40.0))
    assert not saturated.ok and row(saturated, "input").vacuous


@given(activation_and_input())
def test_float32_models_are_checked_in_float64_with_a_warning_and_say_so(layer_and_x):
    layer, x = layer_and_x
    layer.astype(np.float32)
    with pytest.warns(UserWarning, match="float64 copy"):
        report = tg.gradcheck(layer, x.astype(np.float32), allow_zero=isinstance(layer, tg.ReLU))
    assert report.ok
    assert "checked on a float64 copy: x (float32)" in str(report)
    assert layer.dtype == np.float32  # the model itself stays float32


def test_gradcheck_refuses_what_it_cannot_check():
    with pytest.raises(TypeError, match="Layer or Loss"):
        tg.gradcheck(lambda x: x, np.ones((1, 1)))
    with pytest.raises(TypeError, match="needs target="):
        tg.gradcheck(tg.MSE(), np.ones((1, 1)))
    with pytest.raises(ValueError, match="mode must be one of 'auto', 'full', 'fast'"):
        tg.gradcheck(tg.Tanh(), np.ones((1, 1)), mode="quick")
    with pytest.raises(ValueError, match="eps must be > 0"):
        tg.gradcheck(tg.Tanh(), np.ones((1, 1)), eps=0)
    with pytest.raises(TypeError, match="allow_zero must be True or False"):
        tg.gradcheck(tg.Tanh(), np.ones((1, 1)), allow_zero="yes")


def test_a_backward_returning_the_wrong_shape_is_reported_and_named():
    class Flattens(tg.Tanh):
        def backward(self, dy):
            return super().backward(dy).ravel()

    report = tg.gradcheck(tg.Sequential(tg.Dense(2, 2, rng=0), Flattens()), np.ones((2, 2)))
    assert not report.ok and report.culprit == "1"
    assert "backward returned dx of shape (4,) for an input of shape (2, 2)" in report.blame
    assert "backward gave shape (4,), expected shape (2, 2)" in str(tg.gradcheck(Flattens(), np.ones((2, 2))))


def test_fast_mode_checks_directions_and_says_so():
    net = tg.Sequential(tg.Dense(6, 8, rng=0), tg.Tanh(), tg.Dense(8, 3, rng=1))
    x = np.random.default_rng(0).standard_normal((5, 6))
    report = tg.gradcheck(net, x, mode="fast")
    assert report.ok and report.mode == "fast"
    assert "fast mode: derivatives along 3 random directions per tensor" in str(report)
    assert all(r.directional and r.worst_index[0] in (0, 1, 2) for r in report.rows)
    assert "dir " in str(report).splitlines()[2]
    assert tg.gradcheck(net, x).mode == "full"  # small: full by default


def test_auto_mode_is_full_for_small_models_and_fast_above_the_limit():
    wide = tg.Dense(50, 45, rng=0)  # 2,295 values
    assert wide.weight.value.size + 45 + 2 * 50 > FULL_MODE_LIMIT
    assert tg.gradcheck(wide, np.random.default_rng(0).standard_normal((2, 50))).mode == "fast"
    assert tg.gradcheck(wide, np.random.default_rng(0).standard_normal((2, 50)), mode="full").mode == "full"
    assert tg.gradcheck(tg.Dense(3, 2, rng=0), np.ones((2, 3))).mode == "full"


def test_fast_mode_catches_a_wrong_gradient_in_one_tensor_of_many():
    net = tg.Sequential(tg.Dense(20, 30, rng=0), tg.Tanh(), twins.ForgetsBiasDense(30, 10, rng=1))
    report = tg.gradcheck(net, np.random.default_rng(0).standard_normal((4, 20)), mode="fast")
    assert [r.name for r in report.rows if not r.ok] == ["2.bias"] and report.culprit == "2"
    assert "along random direction" in report.failures()[0]


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
