"""Hypothesis strategies for layers, inputs and networks: values kept where sigmoid and tanh do not saturate
and away from ReLU's kink at 0, so that a failing example shrinks to a real bug, not to numerical noise."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from ..containers import Parallel, Residual, Sequential
from ..watch import sample_shape
from ..layers import Dense, Dropout, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from ..layers import ELU, GELU, SiLU, Softplus

ACTIVATIONS = (Sigmoid, Tanh, ReLU)
seeds = st.integers(0, 2**32 - 1)
batch_sizes = st.integers(1, 8)
widths = st.integers(1, 16)


def values(low=-3.0, high=3.0, off_zero=False):
    """Finite floats in `[low, high]`; with `off_zero`, of magnitude at least 0.1 (off ReLU's kink)."""
    if not off_zero:
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    magnitudes = st.floats(0.1, max(abs(low), abs(high)))
    return st.tuples(st.sampled_from([-1.0, 1.0]), magnitudes).map(lambda pair: pair[0] * pair[1]).filter(
        lambda v: low <= v <= high
    )


def matrices(n_rows, n_cols, low=-3.0, high=3.0, off_zero=False):
    """float64 arrays of shape `(n_rows, n_cols)` with entries from `values(low, high, off_zero)`."""
    return arrays(np.float64, (n_rows, n_cols), elements=values(low, high, off_zero))


def arrays_for(layer, n_batch=None):
    """Inputs for `layer`: `(n_batch, n_in)` float64 with entries of magnitude 0.1 to 2.

    `n_in` is the layer's input width (drawn from 1-8 when it takes any width); `n_batch` is drawn
    from 1-8 unless given.
    """
    shape = sample_shape(layer)
    width = None if shape is None else shape[0]
    shapes = st.tuples(batch_sizes if n_batch is None else st.just(n_batch), st.integers(1, 8) if width is None else st.just(width))
    return shapes.flatmap(lambda shape: matrices(*shape, low=-2.0, high=2.0, off_zero=True))


def random_dense(n_in, n_out, bias, rng):
    """A `Dense` layer whose bias, if any, is random too: a zero bias after a dead ReLU would put the
    next pre-activation exactly on a kink, where no finite difference is meaningful."""
    layer = Dense(n_in, n_out, bias=bias, rng=rng)
    if bias:
        layer.bias.value[...] = rng.uniform(-0.5, 0.5, n_out)
    return layer


@st.composite
def layers(draw):
    """One built-in layer with random settings (random sizes for `Dense`, seeded generators).

    Pair it with an input: `layers().flatmap(lambda layer: st.tuples(st.just(layer), arrays_for(layer)))`.
    """
    rng = np.random.default_rng(draw(seeds))
    kind = draw(st.sampled_from([Dense, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax, Dropout, Identity, GELU, ELU, SiLU, Softplus]))
    if kind is Dense:
        return random_dense(draw(widths), draw(widths), draw(st.booleans()), rng)
    if kind is LeakyReLU:
        return LeakyReLU(draw(st.floats(0.0, 0.5)))
    if kind is Dropout:
        return Dropout(draw(st.floats(0.0, 0.8)), rng=rng)
    if kind is ELU:
        return ELU(draw(st.floats(0.1, 2.0)))
    if kind is Softplus:  # threshold beyond the inputs' reach (|beta·x| <= 6): its switch to y = x is a jump in slope
        return Softplus(draw(st.floats(0.5, 3.0)), draw(st.floats(6.0, 30.0)))
    return kind()


@st.composite
def networks(draw, max_depth=5):
    """`(net, x)`: a `Sequential` of 1-`max_depth` Dense layers (widths 1-16, bias on or off), each maybe
    followed by Sigmoid, Tanh or ReLU, with random runs of layers nested in inner `Sequential`s."""
    rng = np.random.default_rng(draw(seeds))
    sizes = [draw(widths) for _ in range(draw(st.integers(1, max_depth)) + 1)]
    chain = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        chain.append(random_dense(n_in, n_out, draw(st.booleans()), rng))
        activation = draw(st.sampled_from(ACTIVATIONS + (None,)))
        if activation is not None:
            chain.append(activation())
    while len(chain) > 1 and draw(st.booleans()):  # nest a random run of consecutive layers
        start = draw(st.integers(0, len(chain) - 1))
        stop = draw(st.integers(start + 1, len(chain)))
        chain[start:stop] = [Sequential(*chain[start:stop])]
    net = Sequential(*chain)
    return net, draw(arrays_for(net))


@st.composite
def graphs(draw, max_depth=3):
    """`(net, x)`: a random series-parallel graph of every built-in layer and combinator.

    Dense layers already made are sometimes used again (weight sharing), inside one container or
    across containers.
    """
    rng = np.random.default_rng(draw(seeds))
    made = []  # Dense layers available for sharing

    def dense(n_in, n_out):
        layer = random_dense(n_in, n_out, draw(st.booleans()), rng)
        made.append(layer)
        return layer

    def block(n_in, depth):
        """A layer taking `n_in` features, and its output width."""
        kinds = ["dense", "activation", "shared"] + (["sequential", "residual", "parallel"] if depth < max_depth else [])
        kind = draw(st.sampled_from(kinds))
        shareable = [layer for layer in made if layer.in_features == n_in]
        if kind == "shared" and shareable:
            layer = draw(st.sampled_from(shareable))
            return layer, layer.out_features
        if kind == "activation":
            layer = draw(layers().filter(lambda layer: not isinstance(layer, Dense)))
            return layer, n_in
        if kind == "sequential":
            chain, n = [], n_in
            for _ in range(draw(st.integers(1, 3))):
                layer, n = block(n, depth + 1)
                chain.append(layer)
            return Sequential(*chain), n
        if kind == "residual":
            inner, n = block(n_in, depth + 1)
            return Residual(inner if n == n_in else Sequential(inner, dense(n, n_in))), n_in
        if kind == "parallel":
            merge = draw(st.sampled_from(Parallel.MERGES))
            width = draw(st.integers(1, 6))
            branches, widths_out = [], []
            for _ in range(draw(st.integers(1, 3))):
                branch, n = block(n_in, depth + 1)
                if merge == "add" and n != width:
                    branch, n = Sequential(branch, dense(n, width)), width
                branches.append(branch)
                widths_out.append(n)
            return Parallel(*branches, merge=merge), (sum(widths_out) if merge == "concat" else width)
        n_out = draw(st.integers(1, 6))
        return dense(n_in, n_out), n_out

    n_in = draw(st.integers(1, 5))
    net, _ = block(n_in, 0)
    return net, draw(matrices(draw(batch_sizes), n_in, low=-2.0, high=2.0, off_zero=True))
