"""Hypothesis strategies for the test suite: layers, inputs and random networks, all float64.

Values stay where sigmoid and tanh do not saturate and (for ReLU inputs) off the kink at 0, so a
failing example shrinks to a real bug rather than to numerical noise.
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import tinygraph as tg

ACTIVATIONS = [tg.Sigmoid, tg.Tanh, tg.ReLU]

batch_sizes = st.integers(1, 8)
widths = st.integers(1, 16)
seeds = st.integers(0, 2**32 - 1)


def values(low=-3.0, high=3.0, off_zero=False):
    finite = st.floats(low, high, allow_nan=False, allow_infinity=False)
    return finite.filter(lambda v: abs(v) > 1e-2) if off_zero else finite


def matrices(n_rows, n_cols, **kwargs):
    return arrays(np.float64, (n_rows, n_cols), elements=values(**kwargs))


@st.composite
def dense_and_input(draw):
    n_batch, n_in, n_out = draw(batch_sizes), draw(widths), draw(widths)
    layer = tg.Dense(n_in, n_out, bias=draw(st.booleans()), rng=draw(seeds))
    return layer, draw(matrices(n_batch, n_in))


@st.composite
def activation_and_input(draw):
    cls = draw(st.sampled_from(ACTIVATIONS))
    x = draw(matrices(draw(batch_sizes), draw(widths), off_zero=cls is tg.ReLU))
    return cls(), x


@st.composite
def networks(draw, max_depth=5):
    """A random `Sequential` of 1-5 Dense layers with random activations, biases and nesting, and an input."""
    rng = np.random.default_rng(draw(seeds))
    n_layers = draw(st.integers(1, max_depth))
    sizes = [draw(widths) for _ in range(n_layers + 1)]
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers.append(tg.Dense(n_in, n_out, bias=draw(st.booleans()), rng=rng))
        activation = draw(st.sampled_from(ACTIVATIONS + [None]))
        if activation is not None:
            layers.append(activation())
    while len(layers) > 1 and draw(st.booleans()):  # nest a random run of consecutive layers
        start = draw(st.integers(0, len(layers) - 1))
        stop = draw(st.integers(start + 1, len(layers)))
        layers[start:stop] = [tg.Sequential(*layers[start:stop])]
    return tg.Sequential(*layers), draw(matrices(draw(batch_sizes), sizes[0], low=-2.0, high=2.0, off_zero=True))


@st.composite
def graphs(draw, max_depth=3):
    """A random series-parallel graph from every layer and combinator, and an input for it.

    Dense layers already made may be used again (weight sharing), inside one container or across them.
    """
    rng = np.random.default_rng(draw(seeds))
    made = []  # Dense layers available for sharing

    def dense(n_in, n_out):
        layer = tg.Dense(n_in, n_out, bias=draw(st.booleans()), rng=rng)
        made.append(layer)
        return layer

    def activation():
        cls = draw(st.sampled_from(ACTIVATIONS + [tg.LeakyReLU, tg.Softmax, tg.Identity, tg.Dropout]))
        if cls is tg.LeakyReLU:
            return cls(draw(st.floats(0.0, 0.5)))
        if cls is tg.Dropout:
            return cls(draw(st.floats(0.0, 0.8)), rng=rng)
        return cls()

    def block(n_in, depth):
        """A layer taking `n_in` features, and its output width."""
        kinds = ["dense", "activation", "shared"] + (["sequential", "residual", "parallel"] if depth < max_depth else [])
        kind = draw(st.sampled_from(kinds))
        shareable = [layer for layer in made if layer.in_features == n_in]
        if kind == "shared" and shareable:
            layer = draw(st.sampled_from(shareable))
            return layer, layer.out_features
        if kind == "activation":
            return activation(), n_in
        if kind == "sequential":
            layers, n = [], n_in
            for _ in range(draw(st.integers(1, 3))):
                layer, n = block(n, depth + 1)
                layers.append(layer)
            return tg.Sequential(*layers), n
        if kind == "residual":
            inner, n = block(n_in, depth + 1)
            return tg.Residual(inner if n == n_in else tg.Sequential(inner, dense(n, n_in))), n_in
        if kind == "parallel":
            merge = draw(st.sampled_from(["concat", "add"]))
            width = draw(st.integers(1, 6))
            branches, widths_out = [], []
            for _ in range(draw(st.integers(1, 3))):
                branch, n = block(n_in, depth + 1)
                if merge == "add" and n != width:
                    branch, n = tg.Sequential(branch, dense(n, width)), width
                branches.append(branch)
                widths_out.append(n)
            return tg.Parallel(*branches, merge=merge), (sum(widths_out) if merge == "concat" else width)
        n_out = draw(st.integers(1, 6))
        return dense(n_in, n_out), n_out

    n_in = draw(st.integers(1, 5))
    net, _ = block(n_in, 0)
    return net, draw(matrices(draw(batch_sizes), n_in, low=-2.0, high=2.0, off_zero=True))
