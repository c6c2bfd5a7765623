"""Every kind of backprop bug in tests/twins.py is caught, alone and deep inside a model, and the culprit named."""

import numpy as np
import pytest

import tinygraph as tg
import twins
from local_layers import Merge2

KINDS = twins.every_kind_of_bug()
IDS = [kind for kind, _ in KINDS]


def x_of(shape, seed=1):
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.2, 1.5, shape)


def nested(twin):
    """The twin at path "1.1.layer.1": inside a Residual, inside a Sequential, inside a Sequential."""
    inner = tg.Sequential(tg.Dense(3, 3, rng=2), twin)
    return tg.Sequential(tg.Dense(3, 3, rng=1), tg.Sequential(tg.Tanh(), tg.Residual(inner)), tg.Dense(3, 2, rng=3))


def real_of(twin):
    """The layer the twin was made from, with the same parameters."""
    real = next(cls for cls in type(twin).__mro__[1:] if cls.__module__.startswith("tinygraph"))
    if isinstance(twin, tg.Dense):
        layer = tg.Dense(3, 3)
        layer.load_state_dict(twin.state_dict())
        return layer
    return real()


@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize("kind, make", KINDS, ids=IDS)
def test_every_twin_is_caught_alone(kind, make, mode):
    report = tg.gradcheck(make(), x_of((4, 3)), mode=mode)
    assert not report.ok, report
    assert report.mode == mode
    assert tg.gradcheck(real_of(make()), x_of((4, 3)), mode=mode).ok  # and the real layer passes


@pytest.mark.parametrize("mode", ["full", "fast"])
@pytest.mark.parametrize("kind, make", KINDS, ids=IDS)
def test_the_culprit_is_named_deep_inside_nested_containers(kind, make, mode):
    report = tg.gradcheck(nested(make()), x_of((4, 3)), mode=mode)
    assert not report.ok
    assert report.culprit == "1.1.layer.1", report
    assert report.culprit_name == type(make()).__name__
    assert f"culprit 1.1.layer.1 ({report.culprit_name})" in report.headline()
    assert str(report).splitlines()[1].startswith("  culprit: 1.1.layer.1")
    assert tg.gradcheck(nested(real_of(make())), x_of((4, 3)), mode=mode).ok


@pytest.mark.parametrize("kind, make", KINDS, ids=IDS)
def test_the_culprit_is_named_inside_a_composite_of_two_inputs(kind, make):
    model = Merge2(tg.Sequential(tg.Dense(3, 3, rng=1), tg.Residual(make())), tg.Dense(3, 3, rng=2))
    report = tg.gradcheck(model, (x_of((4, 3), 1), x_of((4, 3), 2)))
    assert not report.ok and report.culprit == "left.1.layer", report


def test_a_sub_layer_is_checked_at_the_input_it_saw():
    model = tg.Sequential(tg.Dense(3, 5, rng=0), tg.Sequential(tg.Tanh(), twins.WrongFactorSigmoid()))
    x = x_of((4, 3))
    report = tg.gradcheck(model, x)
    assert report.culprit == "1.1"
    seen = np.tanh(x @ model[0].weight.value + model[0].bias.value)
    alone = tg.gradcheck(twins.WrongFactorSigmoid(), seen)
    assert report.culprit_report.rows[0].shape == (4, 5)
    assert report.culprit_report.rows[0].analytic == alone.rows[0].analytic  # the same check, at the same input


def test_a_composite_whose_own_backward_is_wrong_is_the_culprit():
    class ForgetsTheSkip(tg.Residual):
        def backward(self, dy):
            return self.layer.backward(dy)  # dx = f'(x) dy, without the skip's dy

    report = tg.gradcheck(tg.Sequential(tg.Dense(3, 3, rng=0), ForgetsTheSkip(tg.Tanh())), x_of((4, 3)))
    assert report.culprit == "1" and report.culprit_name == "ForgetsTheSkip"
    model = ForgetsTheSkip(tg.Sequential(tg.Dense(3, 3, rng=0), tg.Tanh()))
    report = tg.gradcheck(model, x_of((4, 3)))
    assert report.culprit == "" and "every sub-layer passes alone" in report.blame


def test_nothing_is_blamed_when_nothing_was_checked():
    model = tg.Sequential(tg.Dense(3, 3, rng=0), tg.ReLU())
    x = x_of((4, 3))
    model[0].bias.value[:] = -100.0  # every unit dead
    report = tg.gradcheck(model, x)
    assert not report.ok and report.culprit is None and not report.blame
    assert tg.gradcheck(model, x, allow_zero=True).ok


def test_the_first_culprit_in_path_order_is_named():
    model = tg.Sequential(tg.Dense(3, 3, rng=0), twins.IgnoresUpstreamTanh(), tg.Dense(3, 3, rng=1),
                          twins.WrongFactorSigmoid())
    assert tg.gradcheck(model, x_of((4, 3))).culprit == "1"


# -- blame in fast mode past a max pooling of ties (the zeros a ReLU leaves) -----------------------------------


def pooled_cnn(activation):
    """Conv2D >> ReLU >> MaxPool2D >> Flatten >> `activation` >> Dense: most pooling windows hold tied zeros."""
    return tg.Sequential(tg.Conv2D(1, 4, 3, padding=1, rng=0), tg.ReLU(), tg.MaxPool2D(2), tg.Flatten(),
                         activation, tg.Dense(64, 3, rng=1))


def test_a_max_pooling_of_tied_zeros_fails_along_random_directions_but_not_along_single_elements():
    pool, x = tg.MaxPool2D(2), np.maximum(x_of((2, 4, 8, 8)), 0.0)  # ties: windows of zeros
    assert not tg.gradcheck(pool, x, mode="fast").ok  # one direction moves every tie at once
    assert tg.gradcheck(pool, x, mode="full")  # each element alone: its own one-sided slopes


ACTIVATION_KINDS = [(kind, make) for kind, make in KINDS if not isinstance(make(), tg.Dense)]  # any width


@pytest.mark.parametrize("kind, make", ACTIVATION_KINDS, ids=[kind for kind, _ in ACTIVATION_KINDS])
def test_blame_in_fast_mode_looks_past_the_ties_of_a_max_pooling(kind, make):
    x = x_of((2, 1, 8, 8))
    assert tg.gradcheck(pooled_cnn(tg.Tanh()), x, mode="fast")  # the correct net passes
    report = tg.gradcheck(pooled_cnn(make()), x, mode="fast")
    assert not report.ok and report.culprit == "4", report.blame  # not "2", the pooling at the ties
