import numpy as np
import pytest
from hypothesis import given

import tinygraph as tg
from strategies import networks


@given(networks())
def test_random_networks_pass_gradcheck(net_and_x):
    net, x = net_and_x
    assert tg.gradcheck(net, x)


def test_sequential_len_index_slice_iterate_and_repr():
    layers = [tg.Dense(3, 4), tg.Sigmoid(), tg.Dense(4, 1), tg.Sigmoid()]
    net = tg.Sequential(*layers)
    assert len(net) == 4 and net[2] is layers[2] and net[-1] is layers[3]
    assert list(net) == layers
    head = net[:2]
    assert isinstance(head, tg.Sequential) and list(head) == layers[:2]
    assert repr(net) == "Sequential(Dense(3→4) >> Sigmoid >> Dense(4→1) >> Sigmoid)"


def test_sequential_is_its_layers_composed_forward_and_backward():
    rng = np.random.default_rng(0)
    net = tg.Sequential(tg.Dense(3, 5, rng=rng), tg.Tanh(), tg.Dense(5, 2, rng=rng))
    x, dy = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    W1, b1, W2, b2 = (p.value for p in net.parameters())
    h = np.tanh(x @ W1 + b1)
    np.testing.assert_allclose(net(x), h @ W2 + b2, rtol=1e-12)
    dx = net.backward(dy)
    dh = (dy @ W2.T) * (1 - h**2)
    np.testing.assert_allclose(dx, dh @ W1.T, rtol=1e-12)
    np.testing.assert_allclose(net[2].weight.grad, h.T @ dy, rtol=1e-12)
    np.testing.assert_allclose(net[0].bias.grad, dh.sum(axis=0), rtol=1e-12)


def test_nested_sequential_names_parameters_by_position():
    inner = tg.Sequential(tg.Dense(2, 3), tg.ReLU(), tg.Dense(3, 2, bias=False))
    net = tg.Sequential(tg.Dense(4, 2), inner, tg.Sigmoid())
    assert [name for name, _ in net.named_parameters()] == ["0.weight", "0.bias", "1.0.weight", "1.0.bias", "1.2.weight"]
    assert net(np.ones((5, 4))).shape == (5, 2)


def test_sequential_refuses_non_layers_by_position():
    with pytest.raises(TypeError, match="argument 1 must be a Layer"):
        tg.Sequential(tg.Dense(2, 2), lambda x: x)


def test_a_layer_used_twice_in_one_sequential_sums_its_gradients():
    shared = tg.Dense(3, 3, rng=1)
    net = tg.Sequential(shared, tg.Tanh(), shared)
    assert net.parameters() == [shared.weight, shared.bias]
    x = np.random.default_rng(2).standard_normal((4, 3))
    assert tg.gradcheck(net, x)
    W, b = shared.weight.value, shared.bias.value
    h = np.tanh(x @ W + b)
    dy = np.ones((4, 3))
    net(x)
    net.backward(dy)
    dh = (dy @ W.T) * (1 - h**2)
    np.testing.assert_allclose(shared.weight.grad, h.T @ dy + x.T @ dh, rtol=1e-12)


def test_direct_forward_call_on_a_container_keeps_shared_inputs_too():
    shared = tg.Dense(2, 2, rng=0)
    net = tg.Sequential(shared, shared)
    x = np.ones((1, 2))
    y = net.forward(x)
    net.backward(np.ones_like(y))
    net(x)
    net.backward(np.ones_like(y))  # a second full pass works after the direct call


def test_each_backward_consumes_one_forward():
    net = tg.Sequential(tg.Dense(2, 2), tg.Sigmoid())
    y = net(np.ones((1, 2)))
    net.backward(np.ones_like(y))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        net.backward(np.ones_like(y))


def test_forward_again_and_again_keeps_one_saved_value_per_use():
    shared = tg.Dense(2, 2, rng=0)
    act = tg.Tanh()
    net = tg.Sequential(shared, act, shared)
    for _ in range(100):
        net(np.ones((3, 2)))
        act.forward(np.ones((3, 2)))  # a direct call outside a model is a pass of its own
    assert len(shared._saved.values) == 2 and len(act._saved.values) == 1
