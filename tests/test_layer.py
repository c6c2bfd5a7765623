import inspect

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from user_layers import Scale

import tinygraph as tg
from tinygraph.testing import graphs, networks, seeds


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


def test_layer_is_abstract():
    with pytest.raises(TypeError, match="abstract class Layer"):
        tg.Layer()

    class NoBackward(tg.Layer):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match="NoBackward without an implementation for: backward"):
        NoBackward()


@pytest.mark.parametrize("cls", [tg.Sigmoid, tg.Identity, tg.Tanh])
def test_a_class_without_arguments_refuses_them_and_shows_no_signature(cls):
    assert str(inspect.signature(cls)) == "()"
    with pytest.raises(TypeError, match=rf"^{cls.__name__}\(\) takes no arguments$"):
        cls(0.1)
    with pytest.raises(TypeError, match="takes no arguments"):
        cls(reduction="sum")
    assert str(inspect.signature(tg.Dense)).startswith("(in_features, out_features")


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


class RunningMean(tg.Layer):
    """A layer with a buffer: y = x - mean, where mean is a running average of the inputs seen in training."""

    def __init__(self, n):
        self.register_buffer("mean", np.zeros(n))
        self.scale = tg.Parameter(np.ones(n), name="scale")

    def forward(self, x):
        if self.training:
            self.mean = 0.9 * self.mean + 0.1 * x.mean(axis=0)
        return (x - self.mean) * self.scale.value

    def backward(self, dy):
        raise NotImplementedError


def test_buffers_are_state_but_not_parameters():
    net = tg.Sequential(tg.Dense(2, 2, rng=0), RunningMean(2))
    assert [name for name, _ in net.named_parameters()] == ["0.weight", "0.bias", "1.scale"]
    assert [name for name, _ in net.named_buffers()] == ["1.mean"]
    net(np.ones((4, 2)))
    state = net.state_dict()
    assert list(state) == ["0.weight", "0.bias", "1.scale", "1.mean"] and state["1.mean"].any()
    twin = tg.Sequential(tg.Dense(2, 2, rng=5), RunningMean(2)).load_state_dict(state)
    np.testing.assert_array_equal(twin[1].mean, net[1].mean)
    with pytest.raises(ValueError, match=r"missing \['1.mean'\]"):
        twin.load_state_dict({k: v for k, v in state.items() if k != "1.mean"})
    net.astype(np.float32)
    assert net[1].mean.dtype == np.float32
    assert all(p is not net[1].mean for p in net.parameters())


@given(st.integers(1, 4), st.integers(1, 3), st.integers(1, 5), st.integers(1, 4), seeds)
def test_dense_acts_on_the_last_axis_of_any_rank_as_torch_linear(n, d1, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    layer = tg.Dense(n_in, n_out, rng=rng)
    layer.bias.value[...] = rng.standard_normal(n_out)
    x, dy = rng.standard_normal((n, d1, 2, n_in)), rng.standard_normal((n, d1, 2, n_out))
    np.testing.assert_allclose(layer(x), np.einsum("abci,io->abco", x, layer.weight.value) + layer.bias.value, rtol=1e-12)
    dx = layer.backward(dy)
    np.testing.assert_allclose(dx, np.einsum("abco,io->abci", dy, layer.weight.value), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(layer.weight.grad, np.einsum("abci,abco->io", x, dy), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(layer.bias.grad, dy.sum(axis=(0, 1, 2)), rtol=1e-12, atol=1e-15)
    assert tg.gradcheck(layer, x)


@given(seeds)
def test_elementwise_layers_softmax_and_parallel_take_any_rank(seed):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.1, 2.0, (2, 3, 4, 5)) * rng.choice([-1.0, 1.0], (2, 3, 4, 5))
    for layer in (tg.Sigmoid(), tg.Tanh(), tg.ReLU(), tg.LeakyReLU(0.1), tg.Identity(), tg.Softmax(axis=1),
                  tg.Parallel(tg.Identity(), tg.Tanh(), axis=1), tg.Parallel(tg.Identity(), tg.ReLU(), merge="add")):
        y = layer(x)
        assert len(y) == 2 and tg.gradcheck(layer, x), repr(layer)
    np.testing.assert_allclose(tg.Softmax(axis=1)(x).sum(axis=1), 1.0, rtol=1e-14)
    assert tg.Parallel(tg.Identity(), tg.Tanh(), axis=1)(x).shape == (2, 6, 4, 5)


def test_softmax_and_parallel_refuse_the_batch_axis():
    with pytest.raises(ValueError, match="axis 0 is not a feature axis"):
        tg.Softmax(axis=0)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="cannot be the batch axis"):
        tg.Parallel(tg.Identity(), axis=0)(np.ones((2, 3)))
