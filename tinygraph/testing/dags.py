"""Hypothesis strategies for graphs of layers: random DAGs with fan-out, fan-in, shared layers, several inputs.

`dags()` draws `(graph, xs)`, a `Graph` and a tuple of inputs for it. `dag_recipes()` draws the same
DAGs written as plain data (a `DagRecipe`), so that a test can build the graph and also compute it
another way, e.g. by hand in NumPy, and compare the two.
"""

import numpy as np
from hypothesis import strategies as st

from ..graph import Graph
from ..layers import Add, Concat, Dense, Multiply, ReLU, Sigmoid, Tanh
from ..nodes import Input
from .strategies import batch_sizes, matrices, random_dense, seeds

MERGES = (Add, Multiply, Concat)


class Step:
    """One call of a recipe: the value `layer(*values[takes])`; `recipe` is set when `layer` is a nested graph."""

    def __init__(self, layer, takes, recipe=None):
        self.layer, self.takes, self.recipe = layer, list(takes), recipe

    def __repr__(self):
        return f"Step({self.layer!r}, takes={self.takes})"


class DagRecipe:
    """A DAG as plain data. Values are numbered: the inputs first (`widths[i]` is input `i`'s width, one sample
    `(width,)`), then one value per step in order (`value_widths` are all their widths). `outputs` are the
    numbers of the outputs' values."""

    def __init__(self, widths, steps, outputs, value_widths):
        self.widths, self.steps, self.outputs, self.value_widths = widths, steps, outputs, value_widths

    def build(self, graph_class=Graph):
        """The recipe as a graph (of `graph_class`, a `Graph` or a subclass), its inputs named `x0`, `x1`, ..."""
        nodes = [Input(f"x{i}") for i in range(len(self.widths))]
        for step in self.steps:
            nodes.append(step.layer(*[nodes[i] for i in step.takes]))
        return graph_class(nodes[: len(self.widths)], [nodes[i] for i in self.outputs])

    def __repr__(self):
        return f"DagRecipe(widths={self.widths}, steps={self.steps}, outputs={self.outputs})"


@st.composite
def dag_recipes(draw, max_inputs=3, max_calls=8, max_outputs=2, activations=None, depth=1):
    """A random `DagRecipe`: 1 to `max_inputs` inputs of widths 1-4 and 1 to `max_calls` calls of `Dense` (random
    biases), `activations` (layer classes; None: Tanh, Sigmoid and ReLU) and the merges `Add`, `Multiply`
    and `Concat` (two or three inputs, at times one node twice), each on values drawn from all those made
    so far (fan-out). `Dense` layers are called again
    (shared weights; at times a new one on two values at once, merged: a siamese pair), and, `depth` levels
    deep, a recipe of its own becomes a nested graph, called once or more. Every value ends up used: those
    no call takes become the outputs (up to `max_outputs`; more are concatenated into one), so that every
    input and call leads to an output; at times a value that calls take is an output too.
    """
    rng = np.random.default_rng(draw(seeds))
    activations = activations or (Tanh, Sigmoid, ReLU)
    widths = [draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, max_inputs)))]
    values, steps, made = list(widths), [], []  # values: the width of each value; made: layers to call again

    def call(layer, takes, width, recipe=None):
        steps.append(Step(layer, takes, recipe))
        values.append(width)
        return len(values) - 1

    def dense(i, n_out):
        layer = random_dense(values[i], n_out, draw(st.booleans()), rng)
        made.append((layer, None))
        return call(layer, [i], n_out)

    def of_width(width):  # a value of this width: one that exists, or a new Dense onto it
        fitting = [i for i, w in enumerate(values) if w == width]
        if fitting and draw(st.booleans()):
            return draw(st.sampled_from(fitting))
        return dense(draw(st.integers(0, len(values) - 1)), width)

    for _ in range(draw(st.integers(1, max_calls))):
        kinds = ["dense", "activation", "merge", "merge", "again", "twice"] + (["graph"] if depth > 0 else [])
        kind, i = draw(st.sampled_from(kinds)), draw(st.integers(0, len(values) - 1))
        if kind == "dense" or (kind == "again" and not made):
            dense(i, draw(st.integers(1, 4)))
        elif kind == "activation":
            call(draw(st.sampled_from(activations))(), [i], values[i])
        elif kind == "merge":
            merge, n = draw(st.sampled_from(MERGES)), draw(st.integers(2, 3))
            if merge is Concat:
                takes = [i] + [draw(st.integers(0, len(values) - 1)) for _ in range(n - 1)]
                call(Concat(), takes, sum(values[j] for j in takes))
            else:
                takes = [i] + [of_width(values[i]) for _ in range(n - 1)]
                call(merge(), takes, values[i])
        elif kind == "twice":  # one new layer on two values of a width, the results merged: a siamese pair
            layer = random_dense(values[i], draw(st.integers(1, 4)), draw(st.booleans()), rng)
            made.append((layer, None))
            others = [j for j, width in enumerate(values) if width == values[i] and j != i]
            second = draw(st.sampled_from(others)) if others else of_width(values[i])
            pair = [call(layer, [j], layer.out_features) for j in (i, second)]
            merge = draw(st.sampled_from(MERGES))()
            call(merge, pair, layer.out_features * (2 if isinstance(merge, Concat) else 1))
        elif kind == "graph":
            inner = draw(dag_recipes(2, 4, 1, activations, depth - 1))
            made.append((inner.build(), inner))
            call(made[-1][0], [of_width(w) for w in inner.widths], out_width(inner), inner)
        else:  # call a layer again: its weights are shared
            layer, recipe = draw(st.sampled_from(made))
            needs = recipe.widths if recipe is not None else [layer.in_features]
            call(layer, [of_width(w) for w in needs], out_width(recipe) if recipe else layer.out_features, recipe)
    taken = {i for step in steps for i in step.takes}
    outputs = [i for i in range(len(values)) if i not in taken]
    if len(outputs) > max_outputs or (len(outputs) > 1 and not draw(st.integers(0, 2))):
        outputs = [call(Concat(), outputs, sum(values[i] for i in outputs))]
    if len(outputs) < max_outputs and draw(st.booleans()):  # a value that other calls take is an output too
        outputs.append(draw(st.integers(0, len(values) - 1)))
    return DagRecipe(widths, steps, outputs, values)


def out_width(recipe):
    """The width of a one-output recipe's output."""
    (output,) = recipe.outputs
    return recipe.value_widths[output]


def dag_inputs(recipe, n_batch=None):
    """A tuple of float64 inputs for `recipe`, one `(n_batch, width)` array per input, entries of magnitude
    0.1 to 2; `n_batch` is drawn from 1-8 unless given."""
    n = batch_sizes if n_batch is None else st.just(n_batch)
    return n.flatmap(lambda n_batch: st.tuples(*[matrices(n_batch, w, low=-2.0, high=2.0, off_zero=True) for w in recipe.widths]))


def dags(max_inputs=3, max_calls=8, max_outputs=2):
    """`(graph, xs)`: a random `Graph` drawn by `dag_recipes` and a tuple of inputs for it (`dag_inputs`)."""
    recipes = dag_recipes(max_inputs, max_calls, max_outputs)
    return recipes.flatmap(lambda recipe: st.tuples(st.just(recipe.build()), dag_inputs(recipe)))
