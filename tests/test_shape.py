"""Flatten, Reshape and Permute: backward undoes the forward's move, and errors name the layer."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import tinygraph as tg
from tinygraph.testing import check_layer


@given(array_shapes(min_dims=2, max_dims=5, max_side=4))
def test_flatten_and_back(shape):
    x = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    layer = tg.Flatten()
    y = layer(x)
    assert y.shape == (shape[0], int(np.prod(shape[1:])))
    np.testing.assert_array_equal(layer.backward(y), x)


@given(st.integers(1, 3), st.sampled_from([(12,), (3, 4), (2, 2, 3), (-1, 2), (3, -1, 2)]))
def test_reshape_gives_each_sample_the_new_shape(n, shape):
    x = np.random.default_rng(0).standard_normal((n, 2, 6))
    layer = tg.Reshape(*shape)
    y = layer(x)
    np.testing.assert_array_equal(y.reshape(x.shape), x)
    assert y.shape[0] == n and y.ndim == len(shape) + 1
    check_layer(layer, x)


def test_permute_moves_axes_and_backward_moves_them_back():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    layer = tg.Permute(3, 1, 2)
    y = layer(x)
    np.testing.assert_array_equal(y, x.transpose(0, 3, 1, 2))
    assert y.flags.c_contiguous
    np.testing.assert_array_equal(layer.backward(y), x)
    check_layer(layer, x)


@pytest.mark.parametrize(
    "layer, shape, message",
    [
        (tg.Reshape(5), (2, 6), r"Reshape\(5\): cannot reshape a sample of shape \(6,\) \(6 values\) to \(5,\)"),
        (tg.Reshape(4, -1), (2, 6), r"Reshape\(4, -1\): cannot reshape a sample of shape \(6,\)"),
        (tg.Permute(2, 1), (2, 3), r"Permute\(2, 1\): expected samples of 2 axes, got input of shape \(2, 3\)"),
    ],
)
def test_bad_input_names_the_layer(layer, shape, message):
    with pytest.raises(ValueError, match=message):
        layer(np.zeros(shape))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: tg.Reshape(), "Reshape: give the new shape of one sample"),
        (lambda: tg.Reshape(-1, -1), "at most one size may be -1"),
        (lambda: tg.Reshape(0, 4), "Reshape: each size must be an int >= 1, got 0"),
        (lambda: tg.Permute(1, 3), r"Permute: axes must be 1, 2, \.\.\., 2 in some order, got \(1, 3\)"),
        (lambda: tg.Permute(0, 1), "Permute: each axis must be an int >= 1, got 0"),
    ],
)
def test_bad_arguments_name_the_layer(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_reprs():
    assert [repr(layer) for layer in (tg.Flatten(), tg.Reshape(1, 8, 8), tg.Reshape((4, -1)), tg.Permute(2, 1))] == [
        "Flatten", "Reshape(1, 8, 8)", "Reshape(4, -1)", "Permute(2, 1)"]
