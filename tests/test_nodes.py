"""Building a graph: calling a layer on nodes records a call, and every mistake is an error naming the node."""

import numpy as np
import pytest

import tinygraph as tg
from tinygraph.nodes import Call, Node


def test_calling_a_layer_on_a_node_records_a_call_and_computes_nothing():
    class Counting(tg.Tanh):
        forwards = 0

        def forward(self, x):
            Counting.forwards += 1
            return super().forward(x)

    x = tg.Input("x")
    layer = Counting()
    h = layer(x)
    assert isinstance(h, Node) and not isinstance(h, np.ndarray) and Counting.forwards == 0
    assert h.call.layer is layer and h.call.inputs == (x,) and h.call.outputs == (h,)
    assert repr(h) == "Counting(Input('x'))" and repr(tg.Add()(h, x)) == "Add(Counting(…), Input('x'))"
    assert layer.forward(x).call.number > h.call.number  # forward is the same as a call; calls are numbered
    tg.Graph(x, h)(np.ones((1, 2)))
    assert Counting.forwards == 1


def test_a_layer_of_several_outputs_gives_one_node_per_output():
    a = tg.Input("a")
    inner = tg.Graph(a, [tg.Tanh()(a), tg.Sigmoid()(a)])
    y1, y2 = inner(tg.Input("x"))
    assert y1.call is y2.call and (y1.index, y2.index) == (0, 1)
    x = y1.call.inputs[0]
    graph = tg.Graph(x, tg.Add()(y1, y2))
    assert graph.names[y1] == "graph:0" and "add = Add(graph:0, graph:1)" in repr(graph)


@pytest.mark.parametrize("build, error, message", [
    (lambda x, y: tg.Graph(x, tg.Add()(x, tg.Dense(2, 2)(y))), ValueError,
     r"the output Add\(Input\('x'\), Dense\(2→2\)\(…\)\) is not computed from the given inputs: it needs Input\('y'\)"),
    (lambda x, y: tg.Graph([x, y], tg.Tanh()(x)), ValueError, r"the input Input\('y'\) is never used"),
    (lambda x, y: tg.Graph(x, tg.Add()(x)), ValueError, r"Add: takes 2 or more input\(s\), got 1 node\(s\): Input\('x'\)"),
    (lambda x, y: tg.Graph(x, tg.Dense(2, 2)(x, y)), ValueError, r"Dense\(2→2\): takes 1 input\(s\), got 2 node"),
    (lambda x, y: tg.Graph(tg.Tanh()(x), tg.Tanh()(x)), ValueError, r"inputs\[0\] is Tanh\(Input\('x'\)\), not an Input"),
    (lambda x, y: tg.Graph([x, x], tg.Tanh()(x)), ValueError, r"Input\('x'\) is given twice in inputs"),
    (lambda x, y: tg.Graph([x, tg.Input("x")], tg.Add()(x, x)), ValueError, r"two inputs are named 'x'; each input needs a name of its own"),
    (lambda x, y: tg.Graph(x, np.ones((2, 2))), TypeError, r"outputs\[0\] is ndarray array"),
    (lambda x, y: tg.Graph([], tg.Tanh()(x)), ValueError, r"inputs is empty"),
    (lambda x, y: tg.Graph(x, tg.Dense), TypeError, r"the class Dense; create one first"),
    (lambda x, y: tg.Add()(x, np.ones((2, 2))), TypeError, r"Add: argument 1 is ndarray"),
    (lambda x, y: tg.Add()(np.ones((2, 2)), x), TypeError, r"Input\('x'\) is a graph node, not an array"),
    (lambda x, y: tg.Input(3), TypeError, r"Input: name must be a non-empty string or None, got int 3"),
    (lambda x, y: tg.Input(""), TypeError, r"Input: name must be a non-empty string"),
])
def test_every_mistake_in_building_a_graph_is_an_error_naming_the_node(build, error, message):
    with pytest.raises(error, match=message):
        build(tg.Input("x"), tg.Input("y"))


def test_a_node_of_another_graph_is_named_with_the_input_it_needs():
    a = tg.Input("a")
    inner_node = tg.Dense(2, 2)(a)
    tg.Graph(a, inner_node)
    b = tg.Input("b")
    with pytest.raises(ValueError, match=r"it needs Input\('a'\), which is not among inputs \[Input\('b'\)\] "
                                         r"\(a node of another graph\?\)"):
        tg.Graph(b, tg.Add()(tg.Tanh()(b), inner_node))


def test_a_graph_called_on_nodes_takes_one_node_per_input():
    a, b = tg.Input("a"), tg.Input("b")
    pair = tg.Graph([a, b], tg.Add()(a, b))
    with pytest.raises(ValueError, match=r"Graph\(a, b -> add\): takes 2 input\(s\), got 1 node"):
        pair(tg.Input())


def test_the_calls_run_in_the_order_they_were_made_a_topological_order():
    x = tg.Input()
    late = tg.Dense(2, 2, rng=0)  # made first, called last: the order is the calls', not the layers'
    h = tg.Tanh()(x)
    g = tg.Sigmoid()(x)
    graph = tg.Graph(x, late(tg.Add()(g, h)))
    assert [type(call.layer).__name__ for call in graph.calls] == ["Tanh", "Sigmoid", "Add", "Dense"]
    position = {call: i for i, call in enumerate(graph.calls)}
    assert all(position[node.call] < position[call] for call in graph.calls for node in call.inputs if node.call)
    assert all(isinstance(call, Call) for call in graph.calls)


def test_only_the_calls_on_the_way_to_the_outputs_are_part_of_the_graph():
    x = tg.Input()
    h = tg.Tanh()(x)
    tg.Dense(2, 3)(h)  # a branch no output needs
    graph = tg.Graph(x, tg.Sigmoid()(h))
    assert [type(call.layer).__name__ for call in graph.calls] == ["Tanh", "Sigmoid"] and not graph.parameters()


def test_nodes_and_layer_names_follow_kinds_and_calls_and_avoid_input_names():
    dense = tg.Input("dense")
    shared = tg.Dense(2, 2, rng=0)
    graph = tg.Graph(dense, tg.Add()(shared(dense), shared(shared(dense)), tg.Dense(2, 2, rng=1)(dense)))
    assert [graph.names[call] for call in graph.calls] == ["dense_1", "dense_1[1]", "dense_1[2]", "dense_2", "add"]
    assert [name for name, _ in graph.named_parameters()] == ["dense_1.weight", "dense_1.bias", "dense_2.weight",
                                                             "dense_2.bias"]
    unnamed = [tg.Input(), tg.Input(), tg.Input("input")]
    graph = tg.Graph(unnamed, tg.Concat()(*unnamed))
    assert [graph.names[node] for node in unnamed] == ["input_1", "input_2", "input"]
