"""Fixed graphs whose numbers PyTorch produced (`reference/make_graph_reference.py`): the tinygraph side.

Each builder returns a `tg.Graph`; `CASES` gives each one the shapes of its inputs and which of its
outputs get an upstream gradient (None: that output gets none).
"""

import tinygraph as tg


def diamond():
    """One value feeding three calls: h -> tanh, h -> dense -> sigmoid, and h itself into the product."""
    x = tg.Input("x")
    h = tg.Dense(3, 4)(x)
    a = tg.Tanh()(h)
    b = tg.Sigmoid()(tg.Dense(4, 4)(h))
    return tg.Graph(x, tg.Dense(4, 2)(tg.Add()(a, tg.Multiply()(b, h))))


def siamese():
    """One encoder (shared weights) on two inputs, joined by their product and concatenation."""
    a, b = tg.Input("a"), tg.Input("b")
    encoder = tg.Sequential(tg.Dense(3, 5), tg.Tanh(), tg.Dense(5, 4))
    ea, eb = encoder(a), encoder(b)
    return tg.Graph([a, b], tg.Sigmoid()(tg.Dense(12, 1)(tg.Concat()(ea, eb, tg.Multiply()(ea, eb)))))


def wide_and_deep():
    """Two inputs: a linear model of one, an MLP of the other, added."""
    wide, deep = tg.Input("wide"), tg.Input("deep")
    return tg.Graph([wide, deep], tg.Add()(tg.Dense(5, 1)(wide), tg.Dense(6, 1)(tg.ReLU()(tg.Dense(3, 6)(deep)))))


def two_heads():
    """Two outputs from one trunk."""
    x = tg.Input("x")
    h = tg.Tanh()(tg.Dense(4, 6)(x))
    return tg.Graph(x, [tg.Dense(6, 3)(h), tg.Sigmoid()(tg.Dense(6, 1)(h))])


# name -> (builder, the shape of each input, whether each output gets an upstream gradient)
CASES = {
    "diamond": (diamond, [(5, 3)], [True]),
    "siamese": (siamese, [(6, 3), (6, 3)], [True]),
    "wide_and_deep": (wide_and_deep, [(7, 5), (7, 3)], [True]),
    "two_heads": (two_heads, [(5, 4)], [True, True]),
    "two_heads, no gradient for the second": (two_heads, [(5, 4)], [True, False]),
}
