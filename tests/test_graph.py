"""`tg.Graph` computes what its DAG says, forward and backward: checked against the DAG written out by hand in
NumPy (random DAGs), against PyTorch's numbers (fixed graphs), and against finite differences (nesting).
Each check is shown to catch a graph executor with one bug (tests/twins.py)."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import graph_oracle as oracle
import tinygraph as tg
import twins
from graph_cases import CASES
from tinygraph.testing import dag_inputs, dag_recipes, seeds

# Hand-written NumPy and tinygraph do the same float64 operations, in orders that may differ where
# gradients are summed: a few ulps apart (2.2e-16 each); 1e-12 leaves room for thousands.
HAND = dict(rtol=1e-12, atol=1e-12)


def check_against_the_hand_written_dag(graph_class):
    @given(dag_recipes().flatmap(lambda recipe: st.tuples(st.just(recipe), dag_inputs(recipe))), seeds)
    def check(recipe_and_xs, seed):
        recipe, xs = recipe_and_xs
        graph = recipe.build(graph_class)
        dxs, grads = oracle.analytic_gradients(graph, xs, dys := upstream(graph, xs, seed))
        values = oracle.forward(recipe, xs)
        for y, i in zip(oracle.as_tuple(graph(*xs)), recipe.outputs):
            np.testing.assert_allclose(y, values[i], **HAND)
        expected = {}
        for dx, expected_dx in zip(dxs, oracle.backward(recipe, values, dys, expected)):
            np.testing.assert_allclose(dx, expected_dx, **HAND)
        for name, p in graph.named_parameters():
            np.testing.assert_allclose(grads[name], expected[id(p)], **HAND, err_msg=name)

    return check


def upstream(graph, xs, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(y.shape) for y in oracle.as_tuple(graph(*xs))]


test_random_dags_equal_the_dag_written_out_by_hand_in_numpy = check_against_the_hand_written_dag(tg.Graph)


def test_the_hand_written_dag_catches_a_graph_that_overwrites_gradients_at_fan_out():
    with pytest.raises(AssertionError):
        settings(phases=[Phase.generate])(check_against_the_hand_written_dag(twins.OverwritingGraph))()  # no shrinking


REFERENCE = json.loads((Path(__file__).parent / "reference" / "graph_reference.json").read_text())["cases"]
TORCH = dict(rtol=1e-10, atol=1e-12)  # PyTorch's float64 matrix products sum in another order


def against_pytorch(case, graph_class=tg.Graph):
    build, _, _ = CASES[case["graph"]]
    graph = rebuild(build(), graph_class)
    graph.load_state_dict({key: np.array(value) for key, value in case["state"].items()})
    xs = [np.array(x) for x in case["inputs"]]
    dys = [None if dy is None else np.array(dy) for dy in case["dys"]]
    graph.zero_grad()
    ys = oracle.as_tuple(graph(*xs))
    dxs = oracle.as_tuple(graph.backward(tuple(dys) if len(dys) > 1 else dys[0]))
    for y, expected in zip(ys, case["outputs"]):
        np.testing.assert_allclose(y, expected, **TORCH)
    for dx, expected in zip(dxs, case["dxs"]):
        np.testing.assert_allclose(dx, expected, **TORCH)
    for name, p in graph.named_parameters():
        np.testing.assert_allclose(p.grad, case["grads"][name], **TORCH, err_msg=name)


def rebuild(graph, graph_class):
    """`graph` as an instance of `graph_class` (a twin), on the same nodes."""
    return graph if graph_class is tg.Graph else graph_class(graph.inputs, graph.outputs)


@pytest.mark.parametrize("case", REFERENCE, ids=lambda case: case["graph"])
def test_fixed_graphs_equal_pytorch(case):
    against_pytorch(case)


@pytest.mark.parametrize("twin, graphs", [(twins.OverwritingGraph, ["diamond", "siamese"]),
                                          (twins.DepthOrderGraph, ["siamese"])], ids=lambda t: getattr(t, "__name__", ""))
def test_the_pytorch_numbers_catch_a_broken_graph_executor(twin, graphs):
    for case in REFERENCE:
        if case["graph"] in graphs:
            with pytest.raises(AssertionError):
                against_pytorch(case, twin)


def nested_graphs():
    """Graphs in graphs and in Sequential, containers in graphs, a graph of two outputs called on nodes."""
    rng = np.random.default_rng(0)
    a, b = tg.Input("a"), tg.Input("b")
    pair = tg.Graph([a, b], [tg.Multiply()(tg.Dense(3, 3, rng=rng)(a), b), tg.Tanh()(b)])  # two in, two out
    x, z = tg.Input("x"), tg.Input("z")
    p1, p2 = pair(x, z)
    q1, _ = pair(p2, x)  # the inner graph called again: shared weights
    block = tg.Sequential(tg.Residual(tg.Dense(3, 3, rng=rng)), tg.Parallel(tg.Dense(3, 2, rng=rng), tg.Identity()))
    outer = tg.Graph([x, z], [tg.Add()(block(p1), block(q1)), p2])
    y = tg.Input("y")
    chain = tg.Sequential(tg.Dense(3, 3, rng=rng), tg.Graph(y, tg.Sigmoid()(tg.Concat()(y, y))), tg.Dense(6, 3, rng=rng))
    w = tg.Input("w")
    return [outer, tg.Graph(w, chain(tg.Tanh()(w)))]


def check_with_finite_differences(graph, seed=0):
    rng = np.random.default_rng(seed)
    xs = [rng.uniform(-1.5, 1.5, (4, 3)) for _ in graph.inputs]
    dys = [rng.standard_normal(y.shape) for y in oracle.as_tuple(graph(*xs))]
    dxs, grads = oracle.analytic_gradients(graph, xs, dys)
    numeric_dxs, numeric_grads = oracle.numeric_gradients(graph, xs, dys)
    # central differences at eps=1e-6 in float64 err by about 1e-10 here; these are gradcheck's tolerances
    for dx, numeric in zip(dxs, numeric_dxs):
        np.testing.assert_allclose(dx, numeric, rtol=1e-4, atol=1e-5)
    for name in grads:
        np.testing.assert_allclose(grads[name], numeric_grads[name], rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("index", [0, 1])
def test_nested_graphs_and_containers_agree_with_finite_differences(index):
    check_with_finite_differences(nested_graphs()[index])


def test_finite_differences_catch_a_broken_graph_executor():
    outer = nested_graphs()[0]
    with pytest.raises(AssertionError):
        check_with_finite_differences(twins.OverwritingGraph(outer.inputs, outer.outputs))


def siamese(encoder_a, encoder_b, head):
    a, b = tg.Input("a"), tg.Input("b")
    return tg.Graph([a, b], head(tg.Multiply()(encoder_a(a), encoder_b(b))))


def test_a_layer_called_twice_shares_its_weights_and_gets_the_sum_of_both_gradients():
    encoder, head = tg.Sequential(tg.Dense(3, 4, rng=0), tg.Tanh()), tg.Dense(4, 1, rng=1)
    first, second = copy.deepcopy(encoder), copy.deepcopy(encoder)  # the same weights in two objects
    shared, unshared = siamese(encoder, encoder, head), siamese(first, second, copy.deepcopy(head))
    assert len(shared.parameters()) == 4 and len(unshared.parameters()) == 6
    xa, xb = np.random.default_rng(1).standard_normal((2, 5, 3))
    dy = np.random.default_rng(2).standard_normal((5, 1))
    for graph in (shared, unshared):
        graph.zero_grad()
        graph(xa, xb)
        graph.backward(dy)
    for p, q, r in zip(encoder.parameters(), first.parameters(), second.parameters()):
        np.testing.assert_allclose(p.grad, q.grad + r.grad, rtol=1e-14, atol=1e-15)
    assert not np.allclose(first.parameters()[0].grad, second.parameters()[0].grad)  # two different inputs


@given(dag_recipes().flatmap(lambda recipe: st.tuples(st.just(recipe), dag_inputs(recipe))))
def test_needs_dx_false_skips_only_the_inputs_gradients_and_every_call_is_taken(recipe_and_xs):
    recipe, xs = recipe_and_xs
    graph = recipe.build()
    dys = upstream(graph, xs, 0)
    dxs, grads = oracle.analytic_gradients(graph, xs, dys)
    graph.zero_grad()
    graph(*xs, needs_dx=False)
    graph.backward(tuple(dys) if len(dys) > 1 else dys[0])
    for name, p in graph.named_parameters():
        np.testing.assert_array_equal(p.grad, grads[name])
    assert all(not layer._calls for layer in graph.all_layers()), "a call left behind breaks the next backward"
    assert [np.shape(dx) for dx in dxs] == [x.shape for x in xs]


def test_an_output_given_no_gradient_gets_zeros_and_its_calls_are_taken():
    graph = CASES["two_heads"][0]()
    x = np.random.default_rng(2).standard_normal((3, 4))
    y1, y2 = graph(x)
    dx = graph.backward((np.ones_like(y1), None))
    head2 = dict(graph.named_members())["dense_2"]
    assert not head2.weight.grad.any() and not head2._calls
    graph(x)
    np.testing.assert_array_equal(graph.backward((np.ones_like(y1), np.zeros_like(y2))), dx)


def test_graphs_nest_in_sequential_and_containers_nest_in_graphs():
    outer, chained = nested_graphs()
    x = np.random.default_rng(3).standard_normal((2, 3))
    chain = chained.layers[1]
    np.testing.assert_array_equal(chained(x), chain[2](chain[1](chain[0](np.tanh(x)))))
    inner = chain[1]
    np.testing.assert_allclose(inner(x), 1 / (1 + np.exp(-np.concatenate([x, x], axis=1))), rtol=1e-15)
    assert [name for name, _ in outer.named_parameters()] == [
        "graph.dense.weight", "graph.dense.bias", "sequential.0.layer.weight", "sequential.0.layer.bias",
        "sequential.1.0.weight", "sequential.1.0.bias"]
    assert tg.gradcheck(chained, x) and tg.gradcheck(tg.Sequential(chained, tg.Dense(3, 1, rng=0)), x)


def test_a_copy_runs_alone_and_astype_reaches_every_layer():
    graph = CASES["diamond"][0]()
    twin = copy.deepcopy(graph)
    assert twin.layers[0] is not graph.layers[0] and twin.calls[0].layer is twin.layers[0]
    x = np.ones((2, 3))
    np.testing.assert_array_equal(twin(x), graph(x))
    y = graph.astype(np.float32)(x.astype(np.float32))
    assert y.dtype == np.float32 and graph.backward(np.ones_like(y)).dtype == np.float32


def test_no_gradient_flows_into_a_parameter_free_graph_of_the_data_and_every_call_is_taken():
    x = tg.Input()
    graph = tg.Graph(x, tg.Concat()(tg.Tanh()(x), tg.Multiply()(x, x)))
    data = np.ones((2, 3))
    graph(data, needs_dx=False)
    assert graph.backward(None) is None  # what the layer after it says when nobody needs this gradient
    assert all(not layer._calls for layer in graph.all_layers())
    graph(data)
    with pytest.raises(RuntimeError, match="got dy=None, but its output needs a gradient"):
        graph.backward(None)


def test_a_long_chain_runs_copies_and_traces_without_recursion():
    x = y = tg.Input()
    for _ in range(2000):  # copying node by node would recurse some 8 frames per call
        y = tg.Tanh()(y)
    graph = tg.Graph(x, y)
    X = np.full((2, 2), 0.1)
    twin = copy.deepcopy(graph)
    np.testing.assert_array_equal(twin(X), graph(X))
    assert len(tg.trace(graph, X).rows) == 2001
    assert graph.summary(2).splitlines()[-3].split() == ["tanh_1999", "Tanh", "(n,", "2)", "0", "tanh_1998"]


def test_a_copy_keeps_the_sharing_with_layers_outside_the_graph_and_its_mode_and_dtype():
    shared = tg.Dense(2, 2, rng=0)
    x = tg.Input("x")
    model = tg.Sequential(shared, tg.Graph(x, tg.Add()(shared(x), x))).astype(np.float32).eval()
    twin = copy.deepcopy(model)
    assert twin[1].layers[0] is twin[0] and twin[0] is not shared
    assert not twin[1].training and twin[1].dtype == np.float32 and repr(twin) == repr(model)


class Halves(tg.Layer):
    """A layer of two outputs, the two halves of the features: `n_outputs = 2` says so to a graph."""

    n_outputs = 2

    def forward(self, x):
        half = x.shape[-1] // 2
        return x[..., :half], x[..., half:]

    def backward(self, dy):
        first, second = dy  # the machinery hands a tuple, None for an output with no gradient
        return np.concatenate([np.zeros_like(second) if first is None else first,
                               np.zeros_like(first) if second is None else second], axis=-1)


def test_a_layer_of_two_outputs_of_your_own_gives_two_nodes_and_checks_out():
    x = tg.Input()
    left, right = Halves()(tg.Dense(3, 4, rng=0)(x))
    graph = tg.Graph(x, tg.Multiply()(tg.Tanh()(left), right))
    assert "halves = Halves(dense)" in repr(graph) and "multiply = Multiply(tanh, halves:1)" in repr(graph)
    check_with_finite_differences(graph)


def test_run_time_errors_name_the_graph_and_what_is_wrong():
    a, b = tg.Input("a"), tg.Input("b")
    pair = tg.Graph([a, b], tg.Concat()(a, b))
    with pytest.raises(ValueError, match=r"Graph\(a, b -> concat\): takes 2 input\(s\), got 1; pass one array per input"):
        pair((np.ones((2, 2)), np.ones((2, 2))))
    with pytest.raises(ValueError, match=r"Concat: cannot concatenate shapes \(2, 2\) and \(3, 2\) along axis -1"):
        pair(np.ones((2, 2)), np.ones((3, 2)))

    class OneOutputAfterAll(Halves):
        def forward(self, x):
            return x

    x = tg.Input()
    left, right = OneOutputAfterAll()(x)
    with pytest.raises(ValueError, match="OneOutputAfterAll: expected a tuple of 2 arrays, got ndarray"):
        tg.Graph(x, tg.Add()(left, right))(np.ones((2, 4)))


def test_an_input_that_is_also_an_output_comes_back_as_an_array():
    x = tg.Input()
    graph = tg.Graph(x, [x, tg.Tanh()(x)])
    same, y = graph([[0.5, 1.0]])
    assert type(same) is np.ndarray and same.tolist() == [[0.5, 1.0]] and np.allclose(y, np.tanh(same))
    np.testing.assert_allclose(graph.backward((np.ones((1, 2)), np.ones((1, 2)))), 1 + (1 - y**2), rtol=1e-15)
