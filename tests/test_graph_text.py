"""A graph shows itself: its repr reads like code, its summary lists each node, its shape and the nodes it takes."""

import numpy as np
import pytest
from hypothesis import given

import tinygraph as tg
from tinygraph import graph_text
from graph_cases import siamese
from tinygraph.testing import dag_inputs, dag_recipes


def test_repr_is_a_line_per_call_and_shows_a_shared_layer_by_name():
    assert repr(siamese()) == (
        "Graph(\n"
        "  inputs a, b\n"
        "  sequential = Sequential(Dense(3→5) >> Tanh >> Dense(5→4))(a)\n"
        "  sequential[1] = sequential(b)\n"
        "  multiply = Multiply(sequential, sequential[1])\n"
        "  concat = Concat(sequential, sequential[1], multiply)\n"
        "  dense = Dense(12→1)(concat)\n"
        "  sigmoid = Sigmoid(dense)\n"
        "  outputs sigmoid\n"
        ")"
    )
    x = tg.Input()
    small = tg.Graph(x, tg.Tanh()(x))
    assert repr(small) == "Graph(inputs input; tanh = Tanh(input); outputs tanh)"
    assert repr(tg.Sequential(small, tg.ReLU())) == f"Sequential({small!r} >> ReLU)"


def test_summary_lists_each_node_its_shape_parameters_and_the_nodes_it_takes():
    lines = siamese().summary().splitlines()
    assert lines[0].split() == ["node", "layer", "output", "shape", "parameters", "takes"]
    rows = [line.split("  ") for line in lines[2:-2]]
    cells = [[cell.strip() for cell in row if cell.strip()] for row in rows]
    assert cells == [
        ["a", "Input", "(n, 3)", "0"],
        ["b", "Input", "(n, 3)", "0"],
        ["sequential", "Sequential", "(n, 4)", "44", "a"],
        ["sequential[1]", "sequential (shared)", "(n, 4)", "0", "b"],
        ["multiply", "Multiply", "(n, 4)", "0", "sequential, sequential[1]"],
        ["concat", "Concat", "(n, 12)", "0", "sequential, sequential[1], multiply"],
        ["dense", "Dense(12→1)", "(n, 1)", "13", "concat"],
        ["sigmoid", "Sigmoid", "(n, 1)", "0", "dense"],
    ]
    assert lines[-1] == "total parameters: 57 (trainable: 57)"  # 3*5+5 + 5*4+4 (counted once) + 12+1


@given(dag_recipes().flatmap(lambda recipe: dag_inputs(recipe, n_batch=2).map(lambda xs: (recipe, xs))))
def test_summary_shapes_and_connections_are_what_the_graph_computes(recipe_and_xs):
    recipe, xs = recipe_and_xs
    check_summary(recipe.build(), xs)


def test_the_summary_check_catches_shapes_taken_from_the_wrong_calls(monkeypatch):
    def every_call(self, layer, y):  # the bug: also keeps the calls of the graph's children
        self.depth -= 1
        if self.depth >= 1:
            self.outputs.append(y)

    monkeypatch.setattr(graph_text._DirectCalls, "forward_ends", every_call)
    x = tg.Input()
    graph = tg.Graph(x, tg.Concat()(tg.Sequential(tg.Dense(2, 3, rng=0), tg.Tanh())(x), x))
    with pytest.raises(AssertionError):
        check_summary(graph, (np.ones((2, 2)),))


def check_summary(graph, xs):
    record = tg.trace(graph, xs)
    lines = graph.summary([x.shape[1:] for x in xs]).splitlines()
    rows = {line.split()[0]: line for line in lines[2:-2]}
    assert len(rows) == len(graph.inputs) + len(graph.calls)
    for row in record.rows[1:]:
        if row.depth == 1:  # a call of the graph itself, named as its node
            y = row.y if isinstance(row.y, tuple) else (row.y,)
            shape = ", ".join("(n, " + ", ".join(map(str, v.shape[1:])) + ")" for v in y)
            assert f" {shape} " in rows[row.name] and rows[row.name].endswith(", ".join(row.takes)), rows[row.name]
    assert lines[-1].startswith(f"total parameters: {sum(p.value.size for p in graph.parameters()):,}")


def test_summary_without_known_input_shapes_says_so_and_checks_the_shapes_given():
    a, b = tg.Input("a"), tg.Input("b")
    graph = tg.Graph([a, b], tg.Concat()(a, tg.Tanh()(b)))
    lines = graph.summary().splitlines()
    assert all("?" in line for line in lines[2:6]) and "pass summary(input_shape=...)" in lines[-1]
    assert "(n, 7)" in graph.summary([3, (4,)]).splitlines()[5]
    with pytest.raises(ValueError, match=r"input_shape must be a list of 2 shape\(s\), one per input"):
        graph.summary(3)
    chain = tg.Sequential(tg.Graph(a, tg.Dense(3, 2)(a)), tg.ReLU())
    assert chain.summary().splitlines()[2].split()[1:3] == ["(n,", "2)"]  # the graph's input shape, from its Dense
