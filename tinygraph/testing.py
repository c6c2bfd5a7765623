"""`tinygraph.testing`: check the gradients of your own layers from your own test suite.

`check_layer(layer)` runs `gradcheck` and the properties every layer must have, and fails with an
`AssertionError` that says which tensor is wrong, where, and by how much:

    from tinygraph.testing import check_layer
    def test_my_layer():
        check_layer(MyLayer(4, 3))

The Hypothesis strategies `layers()`, `arrays_for(layer)`, `networks()` and `graphs()` generate
float64 inputs kept where sigmoid and tanh do not saturate and away from ReLU's kink at 0, so a
failing example shrinks to a real bug instead of to numerical noise. They need Hypothesis
(`pip install hypothesis`, part of `tinygraph[test]`), and so does importing this module.

Choosing eps and dtype: gradcheck always differentiates a float64 copy, where eps=1e-6 leaves
relative errors near 1e-9 for a correct backward, far below the default rtol=1e-4. In float32 the
rounding error of a difference quotient, about 1e-7 / eps, and the truncation error, about eps**2,
cannot both be made small: no eps gets below about 1e-4 (docs/custom-layers.md measures it), which is
why a float32 layer or input is checked in float64 with a warning.
"""

import copy

import numpy as np

from .containers import Parallel, Residual, Sequential
from .core import Layer, input_width
from .gradcheck import gradcheck
from .layers import Dense, Dropout, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh

try:
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays
except ModuleNotFoundError as error:
    raise ModuleNotFoundError("tinygraph.testing needs Hypothesis: pip install hypothesis (or 'tinygraph[test]')") from error


def check_layer(layer, x=None, *, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0):
    """Assert that `layer`'s backward is right; return the `GradcheckReport` when it is.

    Checks, on a float64 copy of `layer` (the layer itself is not changed):

    - `gradcheck`: input and parameter gradients against central differences, `dx.shape == x.shape`,
      a second forward+backward gives the same `dx` and twice the parameter gradients;
    - forward leaves its input untouched, and backward its `dy`;
    - a zero upstream gradient gives zero gradients everywhere.

    `x` defaults to a `(4, n_in)` array (`n_in` from the layer, 3 if it takes any width) with entries
    of magnitude 0.1 to 2. On failure, raises `AssertionError` naming the layer class, the tensor
    (`input` or the parameter's name), the worst index, the analytic and numeric values there, the
    errors and the tolerances, followed by the full gradcheck table.
    """
    if not isinstance(layer, Layer):
        raise TypeError(f"check_layer: expected a tinygraph Layer, got {type(layer).__name__}")
    if x is None:
        rng = np.random.default_rng(seed)
        x = rng.choice([-1.0, 1.0], size=(4, input_width(layer) or 3)) * rng.uniform(0.1, 2.0, size=(4, input_width(layer) or 3))
    report = gradcheck(layer, x, eps=eps, atol=atol, rtol=rtol, seed=seed)
    problems = report.failures() + _property_problems(copy.deepcopy(layer).astype(np.float64), np.array(x, dtype=np.float64), seed)
    if problems:
        raise AssertionError(f"check_layer({type(layer).__name__}): " + "; ".join(problems) + "\n" + str(report))
    return report


def _property_problems(layer, x, seed):
    problems = []
    x_given = x.copy()
    y = layer(x_given)
    problems += _changed("forward modified its input x", x, x_given)
    dy = np.random.default_rng(seed).standard_normal(np.shape(y))
    dy_given = dy.copy()
    layer.backward(dy_given)
    problems += _changed("backward modified its upstream gradient dy", dy, dy_given)
    layer.zero_grad()
    layer(x)
    dx = layer.backward(np.zeros_like(dy))
    for tensor, grad in [("input", dx)] + [(n, p.grad) for n, p in layer.named_parameters()]:
        grad = np.asarray(grad)
        if grad.any():
            index = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(grad)), grad.shape))
            problems.append(f"with dy = 0 the {tensor} gradient is not zero: {grad[index]:.6g} at index {index}")
    return problems


def _changed(what, before, after):
    if np.array_equal(before, after, equal_nan=True):
        return []
    change = np.abs(np.asarray(after, dtype=np.float64) - before)
    index = tuple(int(i) for i in np.unravel_index(np.nanargmax(change), change.shape))
    return [f"{what}: {before[index]:.6g} became {after[index]:.6g} at index {index}"]


# -- Hypothesis strategies -------------------------------------------------------------------------

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
    width = input_width(layer)
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
    kind = draw(st.sampled_from([Dense, Sigmoid, Tanh, ReLU, LeakyReLU, Softmax, Dropout, Identity]))
    if kind is Dense:
        return random_dense(draw(widths), draw(widths), draw(st.booleans()), rng)
    if kind is LeakyReLU:
        return LeakyReLU(draw(st.floats(0.0, 0.5)))
    if kind is Dropout:
        return Dropout(draw(st.floats(0.0, 0.8)), rng=rng)
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
