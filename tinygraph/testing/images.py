"""Hypothesis strategies for images, sequences and normalisation: conv nets with valid shapes, norm layers,
embeddings, each drawn with an input that fits it.

Shapes and settings are drawn by Hypothesis; the input's values come from a drawn seed (magnitudes 0.1
to 2, random signs), not element by element: Hypothesis likes arrays of equal values, and a batch of
equal values is where BatchNorm's variance vanishes and finite differences lose their digits, which
would shrink to numerical noise instead of to a bug.
"""

import numpy as np
from hypothesis import strategies as st

from ..containers import Sequential
from ..layers import (
    ELU, GELU, AvgPool2D, BatchNorm, Conv1D, Conv2D, Dense, Embedding, Flatten, LayerNorm, MaxPool1D, MaxPool2D, SiLU,
    Softplus, Tanh,
)
from .strategies import seeds

SMOOTH = (GELU, ELU, SiLU, Softplus, Tanh)


def signed(rng, shape):
    """float64 values of magnitude 0.1 to 2 with random signs: off ReLU's kink, where tanh does not saturate."""
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 2.0, shape)


@st.composite
def conv_nets(draw, max_blocks=3):
    """`(net, x)`: a `Sequential` CNN over images `x` `(n, C, H, W)` (1-4 images, 1-3 channels, 3-8 pixels a
    side): 1-`max_blocks` blocks, each a `Conv2D` (kernel 1-3, stride 1-2, padding 0-1, bias or not) or a
    pooling, maybe followed by `BatchNorm` and an activation, then `Flatten` and a `Dense` head.

    Convolutions pad by less than their kernel. A window of padding alone gives the same output whatever
    the input (a bias, or 0); a later layer may see only such outputs (a 1x1 convolution with stride 2
    after one with padding 1), or a max pooling may pick one over every value from the input, and then no
    gradient reaches the input or the weights: `gradcheck` would rightly say that nothing was checked."""
    rng = np.random.default_rng(draw(seeds))
    n_batch, channels = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    size = [draw(st.integers(3, 8)), draw(st.integers(3, 8))]
    x = signed(rng, (n_batch, channels, *size))
    layers, norm_ok = [], True  # whether a BatchNorm may come next (see `normalizable`)
    for _ in range(draw(st.integers(1, max_blocks))):
        if draw(st.booleans()) or min(size) < 2:
            out, padding = draw(st.integers(1, 4)), draw(st.integers(0, 1))
            kernel = [draw(st.integers(padding + 1, min(3, s + 2 * padding))) for s in size]
            stride = draw(st.integers(1, 2))
            layers.append(Conv2D(channels, out, kernel, stride, padding, bias=draw(st.booleans()), rng=rng))
            norm_ok = norm_ok and normalizable(layers[-1])
            channels, size = out, [(s + 2 * padding - k) // stride + 1 for s, k in zip(size, kernel)]
        else:
            kernel = draw(st.integers(1, min(2, *size)))
            layers.append(draw(st.sampled_from([MaxPool2D, AvgPool2D]))(kernel))
            size = [(s - kernel) // kernel + 1 for s in size]
        if n_batch * size[0] * size[1] > 2 and norm_ok and draw(st.booleans()):
            layers.append(random_batchnorm(channels, rng))
            norm_ok = False  # its beta is a bias too
        activation = draw(st.sampled_from(SMOOTH + (None,)))
        if activation is not None:
            layers.append(activation())
    layers += [Flatten(), Dense(channels * size[0] * size[1], draw(st.integers(1, 3)), rng=rng)]
    return Sequential(*layers), x


@st.composite
def sequence_nets(draw):
    """`(net, x)`: a `Conv1D` over sequences `x` `(n, C, L)`, maybe `BatchNorm`, an activation, max pooling
    over the whole time axis, `Flatten` and a `Dense` head."""
    rng = np.random.default_rng(draw(seeds))
    n_batch, channels, length = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(3, 10))
    out, kernel = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    padding = draw(st.integers(0, min(1, kernel - 1)))  # as in conv_nets
    layers = [Conv1D(channels, out, kernel, padding=padding, bias=draw(st.booleans()), rng=rng)]
    time = length + 2 * padding - kernel + 1
    if n_batch * time > 2 and normalizable(layers[0]) and draw(st.booleans()):
        layers.append(random_batchnorm(out, rng))
    layers += [draw(st.sampled_from(SMOOTH))(), MaxPool1D(time), Flatten(), Dense(out, draw(st.integers(1, 3)), rng=rng)]
    return Sequential(*layers), signed(rng, (n_batch, channels, length))


def sees_the_input(size, kernel, stride, padding):
    """Whether some window along an axis of `size` input values covers one of them, not only padding (for one
    layer drawn with any padding; the nets above pad by less than the kernel instead)."""
    windows = (size + 2 * padding - kernel) // stride + 1
    return any(i * stride < padding + size and i * stride + kernel > padding for i in range(windows))


def normalizable(conv):
    """Whether a `BatchNorm` may follow `conv` (and every convolution since the last activation must say yes).

    A batch norm takes away the mean and the scale of each channel, so a bias right before it gets a gradient
    of exactly 0, and so do weights that only scale one value (a 1x1 convolution of one channel). With
    layers between, nearly so: ELU, GELU and max pooling are close to linear over much of their inputs, so a
    shift or a scale passes through them, and the gradient left can fall below `gradcheck`'s tolerance, which
    would then rightly say that nothing was checked (`allow_zero`). So `conv_nets` puts a norm only where no
    layer before it has a bias (a convolution's, or an earlier norm's beta) or scales one value; people build
    them so (`bias=False` before a norm)."""
    return conv.bias is None and conv.weight.value[0].size > 1


def random_batchnorm(channels, rng):
    """A `BatchNorm` whose gamma and beta are random too (ones and zeros would hide a mixed-up gradient)."""
    layer = BatchNorm(channels)
    layer.weight.value[...] = rng.uniform(0.5, 1.5, channels)
    layer.bias.value[...] = rng.uniform(-0.5, 0.5, channels)
    return layer


@st.composite
def norm_layers(draw):
    """`(layer, x)`: a `BatchNorm` on `(n, C)` or `(n, C, H, W)`, or a `LayerNorm` over the last one or two
    axes of `(n, ..., d)`, with random gamma and beta. Each normalises at least three values: the norm of
    one value is 0 and that of two is -1 and 1 whatever they are, so no gradient would reach the input."""
    rng = np.random.default_rng(draw(seeds))
    if draw(st.booleans()):
        channels = draw(st.integers(1, 4))
        shape = draw(st.sampled_from([(draw(st.integers(3, 6)), channels),
                                      (draw(st.integers(1, 3)), channels, draw(st.integers(3, 4)), draw(st.integers(1, 4)))]))
        return random_batchnorm(channels, rng), signed(rng, shape)
    shape = tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(2, 4))))
    normalized = shape[-draw(st.integers(1, min(2, len(shape) - 1))):]
    if np.prod(normalized) < 3:  # see `norm_layers`
        shape, normalized = shape[:-1] + (3,), normalized[:-1] + (3,)
    layer = LayerNorm(normalized)
    layer.weight.value[...] = rng.uniform(0.5, 1.5, normalized)
    layer.bias.value[...] = rng.uniform(-0.5, 0.5, normalized)
    return layer, signed(rng, shape)


@st.composite
def embeddings(draw):
    """`(layer, indices)`: an `Embedding` (1-10 rows of 1-5 values) and integer indices `(n, ...)` into it,
    of 1 or 2 axes, repeated indices likely (their gradients must add up)."""
    rng = np.random.default_rng(draw(seeds))
    layer = Embedding(draw(st.integers(1, 10)), draw(st.integers(1, 5)), rng=rng)
    shape = tuple(draw(st.integers(1, 6)) for _ in range(draw(st.integers(1, 2))))
    return layer, rng.integers(0, layer.num_embeddings, shape)
