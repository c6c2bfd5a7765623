"""Merge layers on arrays: `Add`, `Multiply`, `Concat` forward and backward, against the math and finite differences."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygraph as tg
from tinygraph.testing import batch_sizes, matrices


@st.composite
def merge_inputs(draw):
    """A merge layer and two or three inputs it takes: one shape for Add and Multiply, widths that differ for Concat."""
    cls = draw(st.sampled_from([tg.Add, tg.Multiply, tg.Concat]))
    n_batch, width = draw(batch_sizes), draw(st.integers(1, 5))
    widths = [draw(st.integers(1, 5)) if cls is tg.Concat else width for _ in range(draw(st.integers(2, 3)))]
    return cls(), tuple(draw(matrices(n_batch, w)) for w in widths)


def by_hand(layer, xs, dy):
    """`y` and `(dx_1, dx_2, ...)` written out for two or three inputs."""
    if isinstance(layer, tg.Add):
        return sum(xs), tuple(dy for _ in xs)
    if isinstance(layer, tg.Multiply):
        others = [np.prod([x for j, x in enumerate(xs) if j != i], axis=0) for i in range(len(xs))]
        return np.prod(xs, axis=0), tuple(dy * other for other in others)
    edges = np.cumsum([0] + [x.shape[1] for x in xs])
    return np.hstack(xs), tuple(dy[:, a:b] for a, b in zip(edges, edges[1:]))


@given(merge_inputs(), st.integers(0, 2**32 - 1))
def test_merges_compute_the_math_forward_and_backward(layer_and_xs, seed):
    layer, xs = layer_and_xs
    y = layer(*xs)
    dy = np.random.default_rng(seed).standard_normal(y.shape)
    dxs = layer.backward(dy)
    expected_y, expected_dxs = by_hand(layer, xs, dy)
    np.testing.assert_allclose(y, expected_y, rtol=1e-14, atol=1e-14)
    assert type(dxs) is tuple and len(dxs) == len(xs)
    for dx, expected in zip(dxs, expected_dxs):
        np.testing.assert_allclose(dx, expected, rtol=1e-14, atol=1e-14)


def finite_differences(layer, xs, dy, eps=1e-6):
    """Central differences of `sum(dy * layer(*xs))` for every element of every input."""
    grads = []
    for x in xs:
        grad = np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            original = x[index]
            x[index] = original + eps
            plus = np.sum(dy * layer(*xs))
            x[index] = original - eps
            minus = np.sum(dy * layer(*xs))
            x[index] = original
            grad[index] = (plus - minus) / (2 * eps)
        grads.append(grad)
    return grads


class MultiplyForgetsAFactor(tg.Multiply):
    """dx_i = dy * x_(i+1) only: right for two inputs, wrong for three."""

    def backward(self, dy):
        xs = self.pop_saved()
        return tuple(dy * xs[(i + 1) % len(xs)] for i in range(len(xs)))


@pytest.mark.parametrize("layer", [tg.Add(), tg.Multiply(), tg.Concat(), tg.Concat(axis=1), MultiplyForgetsAFactor()],
                         ids=repr)
def test_merges_of_three_inputs_agree_with_finite_differences(layer):
    rng = np.random.default_rng(0)
    shape = (2, 3, 2, 2)  # NCHW: Concat(axis=1) joins channels
    xs = [rng.uniform(-2, 2, shape) for _ in range(3)]
    dy = rng.standard_normal(layer(*xs).shape)
    dxs = layer.backward(dy)
    agree = all(np.allclose(dx, numeric, rtol=1e-6, atol=1e-8) for dx, numeric in zip(dxs, finite_differences(layer, xs, dy)))
    assert agree is not isinstance(layer, MultiplyForgetsAFactor)  # the check catches the twin


def test_concat_joins_along_its_axis_and_splits_dy_back():
    a, b = np.ones((2, 1, 3, 3)), np.zeros((2, 4, 3, 3))
    layer = tg.Concat(axis=1)
    assert layer(a, b).shape == (2, 5, 3, 3) and repr(layer) == "Concat(axis=1)" and repr(tg.Concat()) == "Concat"
    da, db = layer.backward(np.arange(90.0).reshape(2, 5, 3, 3))
    assert da.shape == a.shape and db.shape == b.shape and da[0, 0, 0, 0] == 0 and db[0, 0, 0, 0] == 9


@pytest.mark.parametrize("layer, xs, message", [
    (tg.Add(), [(2, 3), (2, 4)], r"Add: cannot add shapes \(2, 3\) and \(2, 4\): every input must have the same shape"),
    (tg.Multiply(), [(2, 3), (2, 3), (3, 3)], r"Multiply: cannot multiply shapes \(2, 3\) and \(3, 3\)"),
    (tg.Concat(), [(2, 3), (4, 3)], r"Concat: cannot concatenate shapes \(2, 3\) and \(4, 3\) along axis -1"),
    (tg.Concat(axis=1), [(2, 3, 4), (2, 3, 5)], r"cannot concatenate shapes \(2, 3, 4\) and \(2, 3, 5\) along axis 1"),
    (tg.Concat(axis=0), [(2, 3), (2, 3)], r"the axis cannot be the batch axis"),
    (tg.Concat(axis=5), [(2, 3), (2, 3)], r"along axis 5"),
    (tg.Add(), [(2, 3)], r"Add: takes two or more inputs, got 1"),
    (tg.Concat(), [(2, 3)], r"Concat: takes two or more inputs, got 1"),
])
def test_shapes_that_do_not_merge_are_errors_naming_both(layer, xs, message):
    with pytest.raises(ValueError, match=message):
        layer(*[np.ones(shape) for shape in xs])


def test_merges_keep_the_dtype_and_refuse_what_is_not_an_array_of_numbers():
    y = tg.Add().astype(np.float32)(np.ones((2, 2)), np.ones((2, 2), dtype=int))
    assert y.dtype == np.float32
    with pytest.raises(TypeError, match="Multiply: input x must hold real numbers"):
        tg.Multiply()(np.ones((2, 2)), np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="Concat: axis must be an int"):
        tg.Concat(axis=1.5)
    with pytest.raises(ValueError, match=r"Add.backward: dy has shape \(2, 3\), expected \(2, 2\)"):
        layer = tg.Add()
        layer(np.ones((2, 2)), np.ones((2, 2)))
        layer.backward(np.ones((2, 3)))


def test_the_math_check_catches_a_merge_with_a_wrong_backward():
    xs = tuple(np.random.default_rng(1).uniform(0.5, 2, (3, 2, 2)))
    layer = MultiplyForgetsAFactor()
    layer(*xs)
    dy = np.ones((2, 2))
    _, expected = by_hand(layer, xs, dy)
    assert not all(np.allclose(dx, e) for dx, e in zip(layer.backward(dy), expected))
