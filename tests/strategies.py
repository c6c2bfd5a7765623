"""Strategies only this suite needs; the general ones live in `tinygraph.testing`, for users too."""

from hypothesis import strategies as st

import tinygraph as tg
from tinygraph.testing import ACTIVATIONS, batch_sizes, matrices, seeds, widths


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
