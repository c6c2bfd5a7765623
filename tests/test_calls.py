"""The machinery around forward and backward: calls, passes, the gradient nobody needs, watching."""

import threading

import numpy as np
import pytest
from hypothesis import given

import tinygraph as tg
from tinygraph.watch import Watcher, watching
from tinygraph.testing import networks


class Twice(tg.Layer):
    """A user's composite layer that applies one sub-layer twice: y = f(f(x))."""

    def __init__(self):
        self.inner = tg.Dense(2, 2, rng=0)

    def forward(self, x):
        return self.inner(self.inner(x))

    def backward(self, dy):
        return self.inner.backward(self.inner.backward(dy))


@pytest.mark.parametrize("call", [lambda layer, x: layer(x), lambda layer, x: layer.forward(x)], ids=["layer(x)", "forward"])
def test_a_composite_with_a_shared_sub_layer_works_however_it_is_called(call):
    layer = Twice()
    x = np.random.default_rng(0).standard_normal((3, 2))
    y = call(layer, x)
    dx = layer.backward(np.ones_like(y))
    W, b = layer.inner.weight.value, layer.inner.bias.value
    h = x @ W + b
    np.testing.assert_allclose(y, h @ W + b, rtol=1e-14)
    np.testing.assert_allclose(dx, np.ones_like(y) @ W.T @ W.T, rtol=1e-14)
    np.testing.assert_allclose(layer.inner.weight.grad, x.T @ (np.ones_like(y) @ W.T) + h.T @ np.ones_like(y), rtol=1e-14)
    assert tg.gradcheck(layer, x)


class Doubled(tg.Tanh):
    """A subclass that calls its parent's forward and backward with super()."""

    def forward(self, x):
        return 2 * super().forward(x)

    def backward(self, dy):
        return super().backward(2 * dy)


def test_super_calls_inside_a_layer_are_part_of_its_own_call():
    layer = Doubled()
    x = np.array([[0.3, -1.2]])
    np.testing.assert_allclose(layer(x), 2 * np.tanh(x))
    np.testing.assert_allclose(layer.backward(np.ones((1, 2))), 2 * (1 - np.tanh(x) ** 2))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones((1, 2)))  # one forward, one backward: nothing left
    assert tg.gradcheck(layer, x)


@given(networks())
def test_needs_dx_false_skips_only_the_gradient_of_the_input(net_and_x):
    net, x = net_and_x
    y = net(x)
    dy = np.random.default_rng(0).standard_normal(y.shape)
    dx = net.backward(dy)
    grads = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    net(x, needs_dx=False)
    skipped = net.backward(dy)
    for g, p in zip(grads, net.parameters()):
        np.testing.assert_array_equal(p.grad, g)
    assert dx.shape == x.shape
    assert skipped is None  # these networks begin with a Dense, whose dx is then never computed


class Spy(tg.Dense):
    """A Dense that records whether each backward needed its dx."""

    asked = None

    def backward(self, dy):
        self.asked = (self.asked or []) + [self.needs_dx]
        return super().backward(dy)


def test_layers_after_parameter_free_ones_see_that_nobody_needs_their_dx():
    first, second = Spy(3, 4, rng=0), Spy(4, 2, rng=1)
    net = tg.Sequential(tg.ReLU(), tg.Identity(), first, tg.Tanh(), second)
    x = np.random.default_rng(0).standard_normal((5, 3))
    net(x, needs_dx=False)
    assert net.backward(np.ones((5, 2))) is None
    net(x)
    assert net.backward(np.ones((5, 2))).shape == (5, 3)
    assert first.asked == [False, True] and second.asked == [True, True]


class Scale(tg.Layer):
    """Parameter-free at first (y = x); `learn()` gives it a parameter: y = s * x."""

    def learn(self):
        self.s = tg.Parameter(np.full(1, 2.0))

    def forward(self, x):
        self.save_for_backward(x)
        return x * self.s.value if hasattr(self, "s") else x

    def backward(self, dy):
        x = self.pop_saved()
        if not hasattr(self, "s"):
            return dy
        self.s.grad += np.sum(dy * x, keepdims=True)[0]
        return dy * self.s.value


def test_a_layer_that_gains_a_parameter_after_its_first_call_gets_its_gradient():
    scale = Scale()
    net = tg.Sequential(scale, tg.Dense(2, 1, rng=0))
    x = np.ones((3, 2))
    net(x, needs_dx=False)
    net.backward(np.ones((3, 1)))
    scale.learn()
    net(x, needs_dx=False)
    net.backward(np.ones((3, 1)))
    assert scale.s.grad[0] == pytest.approx(3 * net[1].weight.value.sum())


def test_none_is_passed_only_where_no_gradient_is_needed():
    class ReturnsNone(tg.Tanh):
        def backward(self, dy):
            return None

    net = tg.Sequential(tg.Dense(2, 2, rng=0), ReturnsNone())
    net(np.ones((1, 2)))
    with pytest.raises(RuntimeError, match="got dy=None, but its output needs a gradient"):
        net.backward(np.ones((1, 2)))


class Log(Watcher):
    def __init__(self):
        self.events = []

    def forward_begins(self, layer, xs):
        self.events.append(("forward begins", repr(layer)))

    def forward_ends(self, layer, y):
        self.events.append(("forward ends", repr(layer)))

    def backward_begins(self, layer, dy):
        self.events.append(("backward begins", repr(layer)))

    def backward_ends(self, layer, dx):
        self.events.append(("backward ends", repr(layer)))


def test_a_watcher_sees_every_call_nested_in_order_and_only_while_watching():
    net = tg.Sequential(tg.Dense(2, 3, rng=0), tg.Tanh())
    seq, dense = repr(net), "Dense(2→3)"
    with watching(Log()) as log:
        net.backward(np.ones((1, 3)) if net(np.ones((1, 2))) is not None else None)
    assert log.events == [
        ("forward begins", seq), ("forward begins", dense), ("forward ends", dense), ("forward begins", "Tanh"),
        ("forward ends", "Tanh"), ("forward ends", seq),
        ("backward begins", seq), ("backward begins", "Tanh"), ("backward ends", "Tanh"),
        ("backward begins", dense), ("backward ends", dense), ("backward ends", seq),
    ]
    net(np.ones((1, 2)))
    assert len(log.events) == 12


def test_a_forward_that_returns_no_array_is_named_and_keeps_no_call():
    class ReturnsNothing(tg.Tanh):
        def forward(self, x):
            super().forward(x)

    layer = ReturnsNothing()
    with pytest.raises(TypeError, match=r"^ReturnsNothing: forward must return an ndarray \(or a tuple of them\), got NoneType$"):
        layer(np.ones((1, 2)))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones((1, 2)))


def test_saving_and_taking_outside_a_call_say_so():
    layer = tg.Tanh()
    with pytest.raises(RuntimeError, match="save_for_backward can only be called inside its own forward"):
        layer.save_for_backward(1)
    with pytest.raises(RuntimeError, match="pop_saved can only be called inside its own backward"):
        layer.pop_saved()


def test_a_forward_that_fails_keeps_nothing_and_a_wrong_dy_loses_nothing():
    layer = tg.Dense(2, 1, rng=0)
    with pytest.raises(ValueError, match="expected input of shape"):
        layer(np.ones((1, 3)))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.ones((1, 1)))
    layer(np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"dy has shape \(1, 2\), expected \(1, 1\)"):
        layer.backward(np.ones((1, 2)))
    assert layer.backward(np.ones((1, 1))).shape == (1, 2)  # the call is still there for a right dy


def test_each_thread_runs_its_own_passes():
    models = [tg.Sequential(tg.Dense(4, 8, rng=i), tg.Tanh(), tg.Dense(8, 1, rng=i)) for i in range(2)]
    x = np.random.default_rng(0).standard_normal((16, 4))
    expected = []
    for model in models:
        model(x)
        model.backward(np.ones((16, 1)))
        expected.append([p.grad.copy() for p in model.parameters()])
        model.zero_grad()
    errors = []

    def train(model):
        try:
            for _ in range(200):
                model.zero_grad()
                model(x)
                model.backward(np.ones((16, 1)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=train, args=(model,)) for model in models]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for model, grads in zip(models, expected):
        for p, g in zip(model.parameters(), grads):
            np.testing.assert_array_equal(p.grad, g)


class Sum(tg.Layer):
    """A user's composite that adds its sub-layers' dx without checking for None: y = f(x) + g(x)."""

    def __init__(self):
        self.f, self.g = tg.Dense(3, 2, rng=0), tg.Dense(3, 2, rng=1)

    def forward(self, x):
        return self.f(x) + self.g(x)

    def backward(self, dy):
        return self.f.backward(dy) + self.g.backward(dy)


def test_inside_a_users_composite_every_sub_layer_computes_its_dx():
    x = np.random.default_rng(0).standard_normal((4, 3))
    for model in (Sum(), tg.Sequential(Sum(), tg.Tanh())):
        model(x, needs_dx=False)
        dx = model.backward(np.ones((4, 2)))  # no None + None
        assert dx.shape == (4, 3)
    net = tg.Sequential(Sum(), tg.Dense(2, 1, rng=2))
    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.1), x, np.ones((4, 1)), epochs=2, progress=False)


def test_a_container_that_passes_none_on_still_skips_its_first_layers_dx():
    first = Spy(3, 2, rng=0)
    net = tg.Parallel(first, tg.Identity())
    net(np.ones((2, 3)), needs_dx=False)
    assert net.backward(np.ones((2, 5))) is None and first.asked == [False]
