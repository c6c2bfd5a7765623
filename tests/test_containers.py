import numpy as np
import pytest
from hypothesis import given

import tinygraph as tg
from tinygraph.testing import graphs, networks


@given(networks())
def test_random_networks_pass_gradcheck(net_and_x):
    net, x = net_and_x
    assert tg.gradcheck(net, x, allow_zero=True)  # a random input may leave every unit dead


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
    x = np.array([[1.0, -2.0]])
    W, b = shared.weight.value, shared.bias.value
    for run in (net.forward, net):  # a direct call and a call give the same pass
        net.zero_grad()
        y = run(x)
        dx = net.backward(np.ones_like(y))
        h = x @ W + b
        np.testing.assert_allclose(dx, np.ones_like(y) @ W.T @ W.T, rtol=1e-14)
        np.testing.assert_allclose(shared.weight.grad, x.T @ (np.ones_like(y) @ W.T) + h.T @ np.ones_like(y), rtol=1e-14)


def test_each_backward_consumes_one_forward():
    net = tg.Sequential(tg.Dense(2, 2), tg.Sigmoid())
    y = net(np.ones((1, 2)))
    net.backward(np.ones_like(y))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        net.backward(np.ones_like(y))


def test_forward_again_and_again_keeps_only_the_last_pass():
    shared = tg.Dense(2, 2, rng=0)
    act = tg.Tanh()
    net = tg.Sequential(shared, act, shared)
    for _ in range(100):
        y = net(np.ones((3, 2)))
    act.forward(np.ones((3, 2)))  # a direct call outside a model is a pass of its own
    act.backward(np.ones((3, 2)))  # it takes the direct call...
    with pytest.raises(RuntimeError, match="backward called before forward"):
        act.backward(np.ones((3, 2)))  # ...and the net's earlier pass is gone: only the last pass is kept
    y = net(np.ones((3, 2)))
    net.backward(np.ones_like(y))  # both uses of the shared layer in this pass are there, once each
    with pytest.raises(RuntimeError, match="backward called before forward"):
        shared.backward(np.ones_like(y))


@given(graphs())
def test_random_graphs_of_every_layer_and_combinator_pass_gradcheck(net_and_x):
    net, x = net_and_x
    assert tg.gradcheck(net, x, allow_zero=True)  # a random input may leave every unit dead


def test_residual_is_x_plus_f_of_x_and_its_backward_sums_both_paths():
    inner = tg.Sequential(tg.Dense(3, 5, rng=0), tg.Tanh(), tg.Dense(5, 3, rng=1))
    block = tg.Residual(inner)
    rng = np.random.default_rng(0)
    x, dy = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    copy = tg.Sequential(*inner)  # the same layers, without the skip
    np.testing.assert_allclose(block(x), x + copy(x), rtol=1e-14)
    dx_inner = copy.backward(dy)
    block(x)
    np.testing.assert_allclose(block.backward(dy), dy + dx_inner, rtol=1e-14)
    assert repr(block) == "Residual(Sequential(Dense(3→5) >> Tanh >> Dense(5→3)))"


def test_residual_around_a_layer_that_changes_the_shape_fails_at_the_first_forward():
    with pytest.raises(ValueError, match=r"maps shape \(2, 3\) to \(2, 4\).*keep the shape"):
        tg.Residual(tg.Dense(3, 4))(np.ones((2, 3)))
    with pytest.raises(TypeError, match="expected a Layer"):
        tg.Residual("Dense")


def test_parallel_concat_joins_features_and_splits_the_gradient():
    a, b = tg.Dense(3, 2, rng=0), tg.Sequential(tg.Dense(3, 4, rng=1), tg.Sigmoid())
    net = tg.Parallel(a, b, tg.Identity(), merge="concat")
    rng = np.random.default_rng(1)
    x, dy = rng.standard_normal((5, 3)), rng.standard_normal((5, 9))
    ya, yb = a(x), b(x)
    da, db = a.backward(dy[:, :2]), b.backward(dy[:, 2:6])
    np.testing.assert_allclose(net(x), np.hstack([ya, yb, x]), rtol=1e-14)
    np.testing.assert_allclose(net.backward(dy), da + db + dy[:, 6:], rtol=1e-13)
    assert len(net) == 3 and net[0] is a and list(net)[1] is b
    assert repr(net) == "Parallel(Dense(3→2) | Sequential(Dense(3→4) >> Sigmoid) | Identity, merge='concat')"


def test_parallel_add_sums_outputs_and_gives_every_branch_all_of_dy():
    a, b = tg.Dense(3, 2, rng=0), tg.Dense(3, 2, rng=1)
    net = tg.Parallel(a, b, merge="add")
    x, dy = np.ones((2, 3)), np.arange(4.0).reshape(2, 2)
    (Wa, ba), (Wb, bb) = (p.value for p in a.parameters()), (p.value for p in b.parameters())
    np.testing.assert_allclose(net(x), x @ Wa + ba + x @ Wb + bb, rtol=1e-14)
    np.testing.assert_allclose(net.backward(dy), dy @ Wa.T + dy @ Wb.T, rtol=1e-14)
    np.testing.assert_allclose(a.weight.grad, x.T @ dy, rtol=1e-14)


def test_parallel_refuses_bad_merges_and_mismatched_branches():
    with pytest.raises(ValueError, match="merge must be one of 'concat', 'add'"):
        tg.Parallel(tg.Identity(), merge="mean")
    with pytest.raises(ValueError, match="at least one branch"):
        tg.Parallel()
    with pytest.raises(TypeError, match="branch 1 must be a Layer"):
        tg.Parallel(tg.Identity(), 3)
    with pytest.raises(ValueError, match=r"one shape, got \[\(2, 2\), \(2, 3\)\]"):
        tg.Parallel(tg.Dense(3, 2), tg.Identity(), merge="add")(np.ones((2, 3)))


def test_combinators_nest_in_each_other_and_in_sequential():
    rng = np.random.default_rng(3)
    net = tg.Sequential(
        tg.Dense(4, 6, rng=rng),
        tg.Residual(tg.Parallel(tg.Sequential(tg.Dense(6, 6, rng=rng), tg.Tanh()), tg.Residual(tg.Dense(6, 6, rng=rng)), merge="add")),
        tg.Parallel(tg.Residual(tg.Sequential(tg.Dense(6, 6, rng=rng), tg.ReLU())), tg.Dense(6, 2, rng=rng)),
    )
    x = rng.standard_normal((3, 4))
    assert net(x).shape == (3, 8)
    assert tg.gradcheck(net, x)


def test_a_dense_shared_by_two_branches_gets_the_sum_of_both_gradients():
    shared = tg.Dense(2, 2, rng=0)
    net = tg.Parallel(shared, tg.Sequential(tg.Tanh(), shared), merge="add")
    assert net.parameters() == [shared.weight, shared.bias]
    x, dy = np.array([[0.5, -1.0], [2.0, 0.3]]), np.array([[1.0, -2.0], [0.5, 0.25]])
    net(x)
    net.backward(dy)
    h = np.tanh(x)
    np.testing.assert_allclose(shared.weight.grad, x.T @ dy + h.T @ dy, rtol=1e-14)
    np.testing.assert_allclose(shared.bias.grad, 2 * dy.sum(axis=0), rtol=1e-14)
    assert tg.gradcheck(net, x)


def test_train_and_eval_reach_into_every_combinator():
    drop = tg.Dropout(0.5, rng=0)
    net = tg.Sequential(tg.Residual(tg.Parallel(tg.Sequential(drop), tg.Identity(), merge="add")))
    net.eval()
    assert not drop.training
    np.testing.assert_array_equal(net(np.ones((2, 2))), 3 * np.ones((2, 2)))
    net.train()
    assert drop.training


def test_evaluating_again_and_again_does_not_grow_memory():
    import tracemalloc

    shared = tg.Dense(64, 64, rng=0)
    net = tg.Sequential(shared, tg.Residual(tg.Sequential(tg.Tanh(), shared)), tg.Parallel(shared, tg.Dropout(0.2, rng=1)))
    x = np.ones((32, 64))
    for _ in range(5):
        net(x)
    tracemalloc.start()
    net(x)
    baseline, _ = tracemalloc.get_traced_memory()
    for _ in range(200):
        net(x)
    growth = tracemalloc.get_traced_memory()[0] - baseline
    tracemalloc.stop()
    assert growth < 32 * 64 * 8, f"memory grew by {growth} bytes over 200 forwards"
    y = net(x)
    net.backward(np.ones_like(y))  # and the last forward can still be consumed


@pytest.mark.parametrize("make", [lambda: tg.Sequential(tg.ReLU), lambda: tg.Parallel(tg.Tanh), lambda: tg.Residual(tg.Identity)])
def test_a_layer_class_instead_of_a_layer_gets_a_hint(make):
    with pytest.raises(TypeError, match=r"the class \w+; create one first: \w+\(\)"):
        make()


def test_slicing_a_parallel_gives_a_parallel_with_the_same_merge():
    a, b, c = tg.Dense(2, 2), tg.Identity(), tg.Tanh()
    part = tg.Parallel(a, b, c, merge="add")[1:]
    assert isinstance(part, tg.Parallel) and list(part) == [b, c] and part.merge == "add"
