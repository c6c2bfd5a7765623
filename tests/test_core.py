import numpy as np
import pytest
from hypothesis import given

import tinygraph as tg
from tinygraph.testing import graphs, networks


class Scale(tg.Layer):
    """A user's own layer: y = x * s, with one parameter s of shape (n_in,)."""

    def __init__(self, n):
        self.s = tg.Parameter(np.linspace(0.5, 1.5, n), name="s")

    def forward(self, x):
        self.save_for_backward(x)
        return x * self.s.value

    def backward(self, dy):
        x = self.pop_saved()
        self.s.grad += (dy * x).sum(axis=0)
        return dy * self.s.value


class TwoTowers(tg.Layer):
    """A layer holding sub-layers in attributes and a list, one of them twice."""

    def __init__(self):
        self.first = tg.Dense(2, 2, rng=0)
        self.scale = Scale(2)
        self.tower = [tg.Dense(2, 2, rng=1), self.first]
        self.not_a_layer = np.ones(3)

    def forward(self, x):
        return self.tower[1](self.tower[0](self.scale(self.first(x))))

    def backward(self, dy):
        return self.first.backward(self.scale.backward(self.tower[0].backward(self.tower[1].backward(dy))))


def test_parameter_holds_value_and_zero_grad_of_same_shape_and_dtype():
    p = tg.Parameter(np.ones((2, 3), dtype=np.float32), name="w")
    assert p.grad.shape == (2, 3) and p.grad.dtype == np.float32 and not p.grad.any()
    assert tg.Parameter([1, 2]).value.dtype == np.float64
    with pytest.raises(TypeError):
        tg.Parameter(["a"])


def test_layer_is_abstract():
    with pytest.raises(TypeError):
        tg.Layer()

    class NoBackward(tg.Layer):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="backward"):
        NoBackward()


def test_parameters_found_in_definition_order_each_once():
    net = TwoTowers()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["first.weight", "first.bias", "scale.s", "tower.0.weight", "tower.0.bias"]
    assert net.parameters()[0] is net.first.weight
    assert [type(layer).__name__ for layer in net.all_layers()] == ["TwoTowers", "Dense", "Scale", "Dense"]


def test_a_users_layer_with_a_shared_sublayer_passes_gradcheck():
    assert tg.gradcheck(TwoTowers(), np.random.default_rng(0).standard_normal((3, 2)))


@given(networks())
def test_two_backwards_give_twice_the_gradient_and_zero_grad_clears(net_and_x):
    net, x = net_and_x
    y = net(x)
    dy = np.random.default_rng(0).standard_normal(y.shape)
    net.backward(dy)
    once = [p.grad.copy() for p in net.parameters()]
    net(x)
    net.backward(dy)
    for g1, p in zip(once, net.parameters()):
        np.testing.assert_array_equal(p.grad, 2 * g1)
    net.zero_grad()
    assert not any(p.grad.any() for p in net.parameters())


def test_train_and_eval_reach_every_layer():
    net = tg.Sequential(tg.Dense(2, 2), tg.Sequential(tg.ReLU(), TwoTowers()))
    assert net.eval() is net
    assert not any(layer.training for layer in net.all_layers())
    net.train()
    assert all(layer.training for layer in net.all_layers())


@given(networks() | graphs())
def test_astype_float32_keeps_everything_float32(net_and_x):
    net, x = net_and_x
    net.astype(np.float32)
    y = net(x)  # a float64 input is cast to the model's dtype
    dx = net.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == np.float32
    assert all(p.value.dtype == p.grad.dtype == np.float32 for p in net.parameters())


@pytest.mark.parametrize("dtype", [np.int32, np.float16, np.complex128])
def test_astype_takes_float32_or_float64_only(dtype):
    with pytest.raises(TypeError, match="np.float32 or np.float64"):
        tg.Dense(2, 2).astype(dtype)


def test_state_dict_round_trip_and_names():
    a = tg.Sequential(tg.Dense(2, 3, rng=0), tg.Tanh(), tg.Dense(3, 1, rng=1))
    state = a.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    state["0.weight"][...] = 7  # a copy: the model is not changed through it
    assert not (a[0].weight.value == 7).any()
    b = tg.Sequential(tg.Dense(2, 3, rng=5), tg.Tanh(), tg.Dense(3, 1, rng=6))
    b.load_state_dict(a.state_dict())
    x = np.ones((2, 2))
    np.testing.assert_array_equal(a(x), b(x))


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.pop("2.bias"), "missing"),
        (lambda s: s.update(extra=np.zeros(1)), "unexpected"),
        (lambda s: s.update({"2.weight": np.zeros((1, 3))}), "'2.weight' has shape"),
        (lambda s: s.update({"0.bias": np.zeros(3, dtype=np.float32)}), "'0.bias' has dtype float32"),
    ],
)
def test_load_state_dict_mismatch_names_the_parameter_and_changes_nothing(change, message):
    net = tg.Sequential(tg.Dense(2, 3, rng=0), tg.Tanh(), tg.Dense(3, 1, rng=1))
    before = net.state_dict()
    state = {name: value + 1 for name, value in before.items()}
    change(state)
    with pytest.raises(ValueError, match=message):
        net.load_state_dict(state)
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_zero_grad_marks_without_a_pass_and_grad_still_reads_zero():
    p = tg.Parameter(np.ones((2, 3)))
    p.grad[...] = 5.0
    p.zero_grad()
    assert not p.grad.any()  # reading fills the zeros in
    p.grad[...] = 5.0
    p.zero_grad()
    p.add_grad(np.multiply, np.ones((2, 3)), 2.0)  # written straight in: 2, not 5 + 2
    np.testing.assert_array_equal(p.grad, 2.0)
    p.add_grad(np.multiply, np.ones((2, 3)), 2.0)  # then added
    np.testing.assert_array_equal(p.grad, 4.0)
    p.zero_grad()
    p.grad += 1.0  # a user's layer writing grad += ... also sees zeros first
    np.testing.assert_array_equal(p.grad, 1.0)


@given(networks())
def test_need_dx_false_skips_only_the_input_gradient(net_and_x):
    net, x = net_and_x
    y = net(x)
    dy = np.random.default_rng(0).standard_normal(y.shape)
    dx = net.backward(dy)
    grads = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    net(x)
    assert net.backward(dy, need_dx=False) is None
    for g, p in zip(grads, net.parameters()):
        np.testing.assert_array_equal(p.grad, g)
    assert dx.shape == x.shape


@pytest.mark.parametrize("dtype", [np.float16, np.longdouble, np.int32, bool])
def test_parameters_hold_float64_unless_given_float32(dtype):
    assert tg.Parameter(np.ones(2, dtype=dtype)).value.dtype == np.float64
    assert tg.Parameter(np.ones(2, dtype=np.float32)).value.dtype == np.float32
