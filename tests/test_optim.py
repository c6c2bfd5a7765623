import copy
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import tinygraph as tg
import twins

REFERENCE = json.loads((Path(__file__).parent / "reference" / "torch_reference.json").read_text())


def run(make, start, grads, **kwargs):
    """Apply `make([p], **kwargs)` for one step per gradient; return the parameter after each step."""
    p = tg.Parameter(np.array(start, dtype=np.float64))
    opt = make([p], **kwargs)
    values = []
    for g in grads:
        p.grad[...] = g
        opt.step()
        values.append(p.value.copy())
    return values


@pytest.mark.parametrize(
    "make, kwargs, grads, expected",
    [
        # p = 1 - 0.1 * 0.5 = 0.95, then 0.9
        (tg.SGD, dict(lr=0.1), [0.5, 0.5], [0.95, 0.9]),
        # buf = 1, 1.9, 2.71: p = -0.1, -0.29, -0.561
        (tg.SGD, dict(lr=0.1, momentum=0.9), [1, 1, 1], [0.9, 0.71, 0.439]),
        # buf = 1, 1.9; step uses g + 0.9 * buf = 1.9, 2.71: p = -0.19, -0.461
        (tg.SGD, dict(lr=0.1, momentum=0.9, nesterov=True), [1, 1], [0.81, 0.539]),
        # g + 0.5 p = 0.5, then 0.5 * 0.95: p = 0.95, 0.9025
        (tg.SGD, dict(lr=0.1, weight_decay=0.5), [0, 0], [0.95, 0.9025]),
        # a constant gradient moves Adam by lr / (1 + eps) per step
        (tg.Adam, dict(lr=0.1), [1, 1], [1 - 0.1 / (1 + 1e-8), 1 - 0.2 / (1 + 1e-8)]),
        # m = 0.1, -0.01; v = 0.001, 0.001999: corrected m = 1, -0.01 / 0.19; corrected v = 1, 1
        (tg.Adam, dict(lr=0.1), [1, -1], [1 - 0.1 / (1 + 1e-8), 1 - 0.1 / (1 + 1e-8) + 0.1 * (0.01 / 0.19) / (1 + 1e-8)]),
    ],
)
def test_updates_match_values_worked_out_by_hand(make, kwargs, grads, expected):
    values = run(make, [1.0], [[g] for g in grads], **kwargs)
    np.testing.assert_allclose(np.concatenate(values), expected, rtol=1e-12)


@pytest.mark.parametrize("case", REFERENCE["optimizers"], ids=lambda case: f"{case['optimizer']}{case['kwargs']}")
def test_updates_match_pytorch_step_by_step(case):
    values = run(getattr(tg, case["optimizer"]), case["start"], case["grads"], **case["kwargs"])
    np.testing.assert_allclose(values, case["values"], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("make", [tg.SGD, tg.Adam])
def test_zero_grad_clears_and_steps_update_in_place(make):
    net = tg.Sequential(tg.Dense(2, 2, rng=0))
    weight = net[0].weight.value
    opt = make(net.parameters(), lr=0.1)
    y = net(np.ones((1, 2)))
    net.backward(np.ones_like(y))
    opt.step()
    assert net[0].weight.value is weight
    opt.zero_grad()
    assert not any(p.grad.any() for p in net.parameters())


@pytest.mark.parametrize("make", [tg.SGD, tg.Adam])
def test_float32_parameters_keep_float32_state(make):
    p = tg.Parameter(np.ones(3, dtype=np.float32))
    opt = make([p], lr=0.1, momentum=0.9) if make is tg.SGD else make([p])
    for _ in range(2):
        p.grad[...] = 1
        opt.step()
    arrays = [value for value in opt.state[p].values() if isinstance(value, np.ndarray)]
    assert p.value.dtype == np.float32 and arrays and all(a.dtype == np.float32 for a in arrays)


@pytest.mark.parametrize(
    "make, kwargs, match",
    [
        (tg.SGD, dict(lr=-1), "lr must be >= 0"),
        (tg.SGD, dict(lr="fast"), "lr must be a number"),
        (tg.SGD, dict(lr=0.1, momentum=-0.5), "momentum must be >= 0"),
        (tg.SGD, dict(lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
        (tg.SGD, dict(lr=0.1, weight_decay=-1), "weight_decay must be >= 0"),
        (tg.SGD, dict(lr=float("nan")), "lr must be >= 0"),
        (tg.Adam, dict(betas=(0.9, 1.0)), r"beta2 must be in \[0, 1\)"),
        (tg.Adam, dict(betas=0.9), "betas must be a pair"),
        (tg.Adam, dict(eps=-1e-8), "eps must be >= 0"),
    ],
)
def test_invalid_hyperparameters_raise_at_construction(make, kwargs, match):
    with pytest.raises(ValueError, match=match):
        make([tg.Parameter([1.0])], **kwargs)


def test_parameter_lists_are_checked():
    p = tg.Parameter([1.0])
    with pytest.raises(ValueError, match="empty parameter list"):
        tg.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="appears twice"):
        tg.SGD([p, p], lr=0.1)
    with pytest.raises(TypeError, match="must be a Parameter"):
        tg.SGD([np.ones(2)], lr=0.1)


def test_passing_the_model_instead_of_its_parameters_says_so():
    net = tg.Sequential(tg.Dense(2, 2))
    with pytest.raises(TypeError, match=r"pass the model's parameters, model.parameters\(\), not the model"):
        tg.SGD(net, lr=0.1)
    with pytest.raises(TypeError, match=r"params\[0\] must be a Parameter, got Dense \(pass model.parameters\(\)\)"):
        tg.Adam([net[0]])


def transient_and_kept_bytes_of_a_later_step(make):
    import tracemalloc

    params = [tg.Parameter(np.ones((300, 300))) for _ in range(2)]
    opt = make(params)
    for p in params:
        p.grad[...] = 0.5
    opt.step()  # state is made here
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    opt.step()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak - before, current - before


ONE_ARRAY = 300 * 300 * 8


@pytest.mark.parametrize("make", [lambda ps: tg.SGD(ps, lr=0.1), lambda ps: tg.SGD(ps, lr=0.1, momentum=0.9),
                                  lambda ps: tg.Adam(ps)])
def test_a_step_needs_a_few_temporaries_of_one_parameter_and_keeps_nothing(make):
    transient, kept = transient_and_kept_bytes_of_a_later_step(make)
    # Adam's line p -= lr * m_hat / (sqrt(v_hat) + eps) holds the most at once: m_hat, v_hat, sqrt(v_hat) + eps,
    # lr * m_hat and the quotient, five arrays the size of one parameter; nothing survives the step.
    assert transient <= 5 * ONE_ARRAY + 4096 and kept < 1000


def test_the_memory_check_catches_a_step_that_keeps_arrays():
    class Hoarder(tg.SGD):
        history = []

        def update(self, p, g, state):
            self.history.append(p.value.copy())  # keeps a copy of every parameter at every step
            super().update(p, g, state)

    assert transient_and_kept_bytes_of_a_later_step(lambda ps: Hoarder(ps, lr=0.1))[1] >= 2 * ONE_ARRAY


def test_the_optimizer_leaves_gradients_where_the_layers_put_them():
    net = tg.Sequential(tg.Dense(3, 4, rng=0), tg.Tanh(), tg.Dense(4, 2, rng=1))
    opt = tg.SGD(net.parameters(), lr=0.1, momentum=0.9)
    y = net(np.ones((5, 3)))
    net.backward(np.ones_like(y))
    grads = [p.grad for p in net.parameters()]
    copies = [g.copy() for g in grads]
    opt.step()
    for p, g, c in zip(net.parameters(), grads, copies):
        assert p.grad is g
        np.testing.assert_array_equal(g, c)


def test_a_parameter_without_a_gradient_is_left_alone_as_in_pytorch():
    used, unused = tg.Parameter([1.0]), tg.Parameter([1.0])
    opt = tg.SGD([used, unused], lr=0.1, momentum=0.9, weight_decay=0.5)
    for _ in range(3):
        opt.zero_grad()
        used.grad += np.array([1.0]) * 1
        opt.step()
    assert unused.value[0] == 1.0 and unused not in opt.state
    assert used.value[0] < 1.0


def test_astype_after_steps_keeps_the_momentum_in_the_new_dtype():
    net = tg.Sequential(tg.Dense(3, 4, rng=0), tg.Dense(4, 1, rng=1))
    opt = tg.SGD(net.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        opt.zero_grad()
        y = net(np.ones((2, 3)))
        net.backward(np.ones_like(y))
        opt.step()
    before = opt.state[net[0].weight]["momentum"].copy()
    net.astype(np.float32)
    opt.zero_grad()
    y = net(np.ones((2, 3)))
    net.backward(np.ones_like(y))
    grad = net[0].weight.grad.copy()
    opt.step()
    momentum = opt.state[net[0].weight]["momentum"]
    assert momentum.dtype == np.float32
    np.testing.assert_allclose(momentum, 0.9 * before.astype(np.float32) + grad, rtol=1e-6)
    assert all(p.value.dtype == p.grad.dtype == np.float32 for p in net.parameters())


def test_parameters_of_two_dtypes_are_updated_each_in_its_own():
    a, b = tg.Parameter(np.ones(2)), tg.Parameter(np.ones(3, dtype=np.float32))
    opt = tg.SGD([a, b], lr=0.5)
    a.grad[...] = 1
    b.grad[...] = 2
    opt.step()
    np.testing.assert_array_equal(a.value, [0.5, 0.5])
    np.testing.assert_array_equal(b.value, [0.0, 0.0, 0.0])
    assert a.value.dtype == np.float64 and b.value.dtype == np.float32


@pytest.mark.parametrize("name, value, match", [("lr", float("nan"), "lr must be >= 0"), ("lr", -0.1, "lr must be >= 0"),
                                                ("momentum", -1, "momentum must be >= 0"),
                                                ("betas", (float("nan"), 0.9), r"beta1 must be in \[0, 1\)")])
def test_hyperparameters_are_checked_whenever_they_are_set(name, value, match):
    opt = tg.Adam([tg.Parameter([1.0])]) if name == "betas" else tg.SGD([tg.Parameter([1.0])], lr=0.1)
    before = getattr(opt, name)
    with pytest.raises(ValueError, match=match):
        setattr(opt, name, value)
    assert getattr(opt, name) == before


# -- the training toolkit: every optimizer and option against PyTorch ------------------------------------

TRAINING = json.loads((Path(__file__).parent / "reference" / "torch_training_reference.json").read_text())
OPTIMIZERS = [tg.SGD, tg.Adam, tg.AdamW, tg.RMSprop, tg.Adagrad]


def make(cls, params, **kwargs):
    return cls(params, **({"lr": 0.1} if cls is tg.SGD else {}) | kwargs)


@pytest.mark.parametrize("case", TRAINING["optimizers"],
                         ids=lambda case: f"{case['optimizer']}{case['kwargs']}" + (", lr changed" if case["lrs"] else ""))
def test_twenty_steps_of_every_configuration_match_pytorch(case):
    # every configuration starts at the same parameter and gets the same 20 gradients; some change .lr
    np.testing.assert_allclose(run_case(getattr(tg, case["optimizer"]), case), case["values"], rtol=1e-12, atol=1e-15)


def run_case(cls, case):
    p = tg.Parameter(np.array(TRAINING["optimizer start"]))
    opt = cls([p], **case["kwargs"])
    values = []
    for step, g in enumerate(TRAINING["optimizer grads"]):
        if case["lrs"]:
            opt.lr = case["lrs"][step]
        p.grad[...] = g
        opt.step()
        values.append(p.value.copy())
    return values


@pytest.mark.parametrize("twin, option", twins.OPTIMIZER_TWINS.items(), ids=lambda value: getattr(value, "__name__", value))
def test_each_optimizer_twin_fails_the_reference_wherever_its_option_is_on(twin, option):
    real = twin.__mro__[1].__name__
    cases = [case for case in TRAINING["optimizers"] if case["optimizer"] == real and case["kwargs"].get(option)]
    assert cases
    for case in cases:
        assert not np.allclose(run_case(twin, case), case["values"], rtol=1e-12, atol=1e-15)


def test_the_reference_covers_every_optimizer_and_option():
    seen = {(case["optimizer"], name) for case in TRAINING["optimizers"] for name in case["kwargs"]}
    for cls in OPTIMIZERS:
        assert {(cls.__name__, name) for name in cls.hyperparameters} <= seen, cls.__name__
        assert any(case["lrs"] for case in TRAINING["optimizers"] if case["optimizer"] == cls.__name__), cls.__name__


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_maximize_climbs_where_the_same_optimizer_descends(cls):
    up, down = tg.Parameter([1.0, -2.0]), tg.Parameter([1.0, -2.0])
    climb, descend = make(cls, [up], maximize=True), make(cls, [down])
    for _ in range(3):
        up.grad[...], down.grad[...] = [0.5, 0.25], [-0.5, -0.25]  # the gradient of -f for the descent
        climb.step(), descend.step()
    np.testing.assert_array_equal(up.value, down.value)
    assert up.value[0] > 1.0


@pytest.mark.parametrize("cls", OPTIMIZERS)
def test_every_optimizer_has_a_settable_checked_lr_that_the_next_step_uses(cls):
    p = tg.Parameter([1.0])
    opt = make(cls, [p])
    opt.lr = 0.0  # a schedule may end at 0: the parameter then stays where it is
    p.grad[...] = 1.0
    opt.step()
    assert p.value[0] == 1.0
    with pytest.raises(ValueError, match=f"{cls.__name__}: lr must be >= 0, got -0.1"):
        opt.lr = -0.1
    assert opt.lr == 0.0


@pytest.mark.parametrize("cls", OPTIMIZERS[1:])
def test_new_optimizers_keep_float32_state(cls):
    p = tg.Parameter(np.ones(3, dtype=np.float32))
    opt = make(cls, [p], **({"centered": True, "momentum": 0.9} if cls is tg.RMSprop else {}))
    for _ in range(2):
        p.grad[...] = 1
        opt.step()
    arrays = [value for value in opt.state[p].values() if isinstance(value, np.ndarray)]
    assert p.value.dtype == np.float32 and arrays and all(a.dtype == np.float32 for a in arrays)


@pytest.mark.parametrize("make_optimizer, match", [
    (lambda ps: tg.SGD(ps, lr=0.1, momentum=0.9, dampening=0.5, nesterov=True), "nesterov=True needs momentum > 0 and dampening 0"),
    (lambda ps: tg.SGD(ps, lr=0.1, dampening=1.5), r"dampening must be in \[0, 1\], got 1.5"),
    (lambda ps: tg.Adam(ps, amsgrad="yes"), "amsgrad must be True or False"),
    (lambda ps: tg.AdamW(ps, weight_decay=-0.1), "AdamW: weight_decay must be >= 0"),
    (lambda ps: tg.RMSprop(ps, alpha=1.5), r"RMSprop: alpha must be in \[0, 1\], got 1.5"),
    (lambda ps: tg.RMSprop(ps, centered=1), "centered must be True or False"),
    (lambda ps: tg.Adagrad(ps, eps=-1.0), "Adagrad: eps must be >= 0"),
    (lambda ps: tg.Adagrad(ps, maximize=None), "maximize must be True or False"),
])
def test_invalid_options_of_the_new_optimizers_are_refused(make_optimizer, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make_optimizer([tg.Parameter([1.0])])


def test_repr_shows_lr_and_the_settings_that_differ_from_their_defaults():
    p = [tg.Parameter([1.0])]
    assert repr(tg.SGD(p, lr=0.1, momentum=0.9)) == "SGD(lr=0.1, momentum=0.9)"
    assert repr(tg.AdamW(p)) == "AdamW(lr=0.001)"
    assert repr(tg.RMSprop(p, centered=True, maximize=True)) == "RMSprop(lr=0.01, maximize=True, centered=True)"


@pytest.mark.parametrize("make_optimizer", [lambda ps: tg.RMSprop(ps, momentum=0.9, centered=True),
                                            lambda ps: tg.Adagrad(ps), lambda ps: tg.AdamW(ps)])
def test_the_new_optimizers_keep_nothing_between_steps(make_optimizer):
    transient, kept = transient_and_kept_bytes_of_a_later_step(make_optimizer)
    assert kept < 1000 and transient <= 6 * ONE_ARRAY + 4096

def test_nan_betas_are_refused_at_construction_too():
    with pytest.raises(ValueError, match=r"^Adam: beta1 must be in \[0, 1\), got nan"):
        tg.Adam([tg.Parameter([1.0])], betas=(float("nan"), 0.999))
    with pytest.raises(ValueError, match=r"^Adam: beta2 must be in \[0, 1\), got nan"):
        tg.Adam([tg.Parameter([1.0])], betas=(0.9, float("nan")))


def test_a_step_in_which_no_parameter_has_a_gradient_warns():
    model, other = tg.Dense(2, 1, rng=0), tg.Dense(2, 1, rng=1)
    wrong = tg.SGD(other.parameters(), lr=0.1)  # built on another model's parameters
    wrong.zero_grad()
    model(np.ones((3, 2)))
    model.backward(np.ones((3, 1)))
    before = other.weight.value.copy()
    with pytest.warns(UserWarning, match=r"^SGD.step: none of its 2 parameters has a gradient, so nothing changed"):
        wrong.step()
    np.testing.assert_array_equal(other.weight.value, before)
    right = tg.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        right.step()  # the model's own optimizer: its parameters have gradients, nothing to say
