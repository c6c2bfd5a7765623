import warnings

import numpy as np
import pytest
from hypothesis import given

import tinygraph as tg
from tinygraph.testing import graphs


def test_trace_records_every_layer_forward_and_backward():
    net = tg.Sequential(tg.Dense(3, 4, rng=0), tg.Tanh(), tg.Dense(4, 2, rng=1))
    x, dy = np.random.default_rng(0).standard_normal((5, 3)), np.random.default_rng(1).standard_normal((5, 2))
    record = tg.trace(net, x, dy=dy)
    assert [row.name for row in record.rows] == ["net", "0", "1", "2"]
    W1, b1, W2, _ = (p.value for p in net.parameters())
    h = np.tanh(x @ W1 + b1)
    np.testing.assert_allclose(record.row("1").y, h, rtol=1e-14)
    np.testing.assert_array_equal(record.row("2").dy, dy)
    np.testing.assert_allclose(record.row("2").grads["weight"], h.T @ dy, rtol=1e-14)
    np.testing.assert_allclose(record.row("1").dx, (dy @ W2.T) * (1 - h**2), rtol=1e-13)
    np.testing.assert_array_equal(record.row("net").dx, record.row("0").dx)


def test_trace_table_has_one_row_per_call_with_stats():
    record = tg.trace(tg.Sequential(tg.Dense(3, 4, rng=0), tg.ReLU()), np.ones((2, 3)))
    lines = str(record).splitlines()
    assert lines[0].split()[:3] == ["layer", "x", "shape"] and len(lines) == 4
    assert lines[2].split()[:4] == ["0", "Dense(3→4)", "(2,", "3)"] and "weight" in lines[2] and "bias" in lines[2]
    assert lines[3].startswith("  1 ReLU")


def test_a_shared_layer_gets_one_row_per_use_and_the_grads_of_each_use():
    shared = tg.Dense(2, 2, rng=0)
    net = tg.Sequential(shared, tg.Tanh(), shared)
    record = tg.trace(net, np.ones((3, 2)))
    uses = [row for row in record.rows if row.layer is not net and row.name == "0"]
    assert len(uses) == 2
    net(np.ones((3, 2)))
    net.backward(record.row("net").dy)
    np.testing.assert_allclose(uses[0].grads["weight"] + uses[1].grads["weight"], shared.weight.grad, rtol=1e-14)


@given(graphs())
def test_trace_leaves_the_model_untouched_and_agrees_with_it(net_and_x):
    net, x = net_and_x
    net.eval()  # Dropout is the identity, so the traced output is the prediction
    before = net.state_dict()
    record = tg.trace(net, x, seed=3)
    np.testing.assert_array_equal(record.row("net").y, net.predict(x))
    assert all(np.array_equal(before[k], v) for k, v in net.state_dict().items())
    assert all(not p.grad.any() for p in net.parameters())
    assert "forward" not in vars(net) and record.row("net").dx.shape == x.shape


def test_trace_refuses_a_bad_upstream_gradient():
    with pytest.raises(ValueError, match=r"dy has shape \(2, 2\), the model's output has shape \(2, 1\)"):
        tg.trace(tg.Dense(3, 1), np.ones((2, 3)), dy=np.ones((2, 2)))
    with pytest.raises(TypeError, match="must be a tinygraph Layer"):
        tg.trace(tg.MSE(), np.ones((2, 3)))


# -- graphs ------------------------------------------------------------------------------------------------


def test_trace_of_a_graph_names_each_call_by_its_node_with_the_nodes_it_takes():
    a, b = tg.Input("a"), tg.Input("b")
    shared = tg.Dense(3, 2, rng=0)
    graph = tg.Graph([a, b], [tg.Multiply()(shared(a), shared(b)), tg.Tanh()(b)])
    xa, xb = np.random.default_rng(0).standard_normal((2, 4, 3))
    dy = np.random.default_rng(1).standard_normal((4, 2))
    record = tg.trace(graph, (xa, xb), dy=(dy, None))
    assert [(row.name, row.takes) for row in record.rows] == [
        ("net", []), ("dense", ["a"]), ("dense[1]", ["b"]), ("multiply", ["dense", "dense[1]"]), ("tanh", ["b"])]
    W, bias = shared.weight.value, shared.bias.value
    np.testing.assert_allclose(record.row("multiply").y, (xa @ W + bias) * (xb @ W + bias), rtol=1e-14)
    np.testing.assert_allclose(record.row("dense[1]").grads["weight"], xb.T @ (dy * (xa @ W + bias)), rtol=1e-13)
    assert record.row("tanh").dy.shape == (4, 3) and not record.row("tanh").dy.any()  # None: zeros
    assert record.row("net").x[1] is not xb and [np.shape(dx) for dx in record.row("net").dx] == [(4, 3), (4, 3)]
    lines = str(record).splitlines()
    assert lines[0].split()[-1] == "takes" and lines[4].split()[-2:] == ["dense,", "dense[1]"]
    assert "(4, 3), (4, 3)" in lines[1]


def test_trace_refuses_a_dy_that_is_not_one_per_output():
    x = tg.Input()
    graph = tg.Graph(x, [tg.Tanh()(x), tg.Sigmoid()(x)])
    with pytest.raises(ValueError, match="the model has 2 outputs; dy must be a tuple of 2 gradients"):
        tg.trace(graph, np.ones((2, 2)), dy=np.ones((2, 2)))

def test_trace_names_a_wrong_seed_and_takes_an_empty_batch_quietly():
    with pytest.raises(ValueError, match=r"^trace: seed must be an int >= 0, got -1"):
        tg.trace(tg.Dense(3, 1), np.ones((2, 3)), seed=-1)
    net = tg.Sequential(tg.Dense(3, 4, rng=0), tg.Softmax(), tg.Dense(4, 1, rng=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Mean of empty slice" or "invalid value" RuntimeWarning
        record = tg.trace(net, np.ones((0, 3)))
        text = str(record)
    assert record.row("2").y.shape == (0, 1) and "(0, 3)" in text
