import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import tinygraph as tg
from tinygraph.testing import batch_sizes, matrices, widths

REFERENCE = json.loads((Path(__file__).parent / "reference" / "torch_reference.json").read_text())
LOSSES = [tg.MSE, tg.SumSquaredError, tg.BinaryCrossEntropy, tg.SoftmaxCrossEntropy, tg.L1, tg.Huber, tg.BCEWithLogits]


@pytest.mark.parametrize("case", REFERENCE["losses"], ids=lambda case: case["loss"])
def test_losses_agree_with_pytorch(case):
    loss = getattr(tg, case["loss"])()
    target = np.array(case["target"])
    value = loss(np.array(case["pred"]), target)
    np.testing.assert_allclose(value, case["value"], rtol=1e-12)
    np.testing.assert_allclose(loss.backward(), case["grad"], rtol=1e-12, atol=1e-300)


@st.composite
def pred_and_target(draw, low=-3.0, high=3.0, target_low=-3.0, target_high=3.0):
    n_batch, n_out = draw(batch_sizes), draw(widths)
    return draw(matrices(n_batch, n_out, low=low, high=high)), draw(matrices(n_batch, n_out, low=target_low, high=target_high))


@given(pred_and_target())
def test_mse_and_sum_squared_error_pass_gradcheck_and_match_their_formulas(pair):
    pred, target = pair
    for loss, expected in ((tg.MSE(), np.mean((pred - target) ** 2)), (tg.SumSquaredError(), 0.5 * np.sum((pred - target) ** 2))):
        assert tg.gradcheck(loss, pred, target=target, allow_zero=True)  # a drawn example may have no nonzero gradient
        np.testing.assert_allclose(loss(pred, target), expected, rtol=1e-12, atol=1e-300)


@given(pred_and_target(low=0.05, high=0.95, target_low=0.0, target_high=1.0))
def test_binary_cross_entropy_passes_gradcheck(pair):
    pred, target = pair
    assert tg.gradcheck(tg.BinaryCrossEntropy(), pred, target=target, allow_zero=True)  # a drawn example may have no nonzero gradient


@st.composite
def logits_and_labels(draw):
    n_batch, n_classes = draw(batch_sizes), draw(st.integers(1, 10))
    logits = draw(matrices(n_batch, n_classes, low=-5.0, high=5.0))
    if draw(st.booleans()):
        return logits, np.array(draw(st.lists(st.integers(0, n_classes - 1), min_size=n_batch, max_size=n_batch)))
    weights = draw(matrices(n_batch, n_classes, low=0.01, high=1.0))
    return logits, weights / weights.sum(axis=1, keepdims=True)


@given(logits_and_labels())
def test_softmax_cross_entropy_passes_gradcheck_with_labels_and_probabilities(pair):
    logits, target = pair
    assert tg.gradcheck(tg.SoftmaxCrossEntropy(), logits, target=target, allow_zero=True)  # a drawn example may have no nonzero gradient


@st.composite
def logits_and_integer_labels(draw):
    n_batch, n_classes = draw(batch_sizes), draw(st.integers(1, 10))
    logits = draw(matrices(n_batch, n_classes, low=-5.0, high=5.0))
    return logits, np.array(draw(st.lists(st.integers(0, n_classes - 1), min_size=n_batch, max_size=n_batch)))


@given(logits_and_integer_labels())
def test_softmax_cross_entropy_labels_equal_their_one_hot_probabilities(pair):
    logits, target = pair
    loss = tg.SoftmaxCrossEntropy()
    by_label, grad_label = loss(logits, target), loss.backward()
    one_hot = np.eye(logits.shape[1])[target]
    np.testing.assert_allclose(loss(logits, one_hot), by_label, rtol=1e-14)
    np.testing.assert_allclose(loss.backward(), grad_label, rtol=1e-14)


@pytest.mark.parametrize("cls", LOSSES)
@given(data=st.data())
def test_shape_mismatch_quotes_both_shapes(cls, data):
    pred_shape = data.draw(array_shapes(min_dims=2, max_dims=2, max_side=5))
    labels_form = pred_shape[:1] if cls is tg.SoftmaxCrossEntropy else None  # valid: integer labels
    target_shape = data.draw(array_shapes(min_dims=1, max_dims=3, max_side=5).filter(
        lambda s: s != pred_shape and s != labels_form))
    pred = np.full(pred_shape, 0.5)
    target = data.draw(arrays(np.float64, target_shape, elements=st.sampled_from([0.0, 1.0])))
    with pytest.raises(ValueError) as info:
        cls()(pred, target)
    assert str(pred_shape) in str(info.value) and str(target_shape) in str(info.value)


@pytest.mark.parametrize("cls", [tg.MSE, tg.SumSquaredError, tg.BinaryCrossEntropy, tg.L1, tg.Huber, tg.BCEWithLogits])
def test_column_predictions_never_broadcast_against_flat_targets(cls):
    with pytest.raises(ValueError, match=r"\(4, 1\).*\(4,\).*target.reshape\(-1, 1\)"):
        cls()(np.full((4, 1), 0.5), np.ones(4))


@pytest.mark.parametrize("cls", LOSSES)
def test_backward_before_the_loss_is_computed_says_so(cls):
    with pytest.raises(RuntimeError, match="before the loss was computed"):
        cls().backward()


def test_binary_cross_entropy_is_finite_at_zero_and_one_without_warnings():
    loss = tg.BinaryCrossEntropy()
    value = loss(np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]]))
    assert value == 100.0
    assert np.isfinite(loss.backward()).all()


@pytest.mark.parametrize(
    "pred, target, match",
    [
        ([[1.5]], [[1.0]], r"pred must lie in \[0, 1\]"),
        ([[0.5]], [[-0.1]], r"target must lie in \[0, 1\]"),
    ],
)
def test_binary_cross_entropy_refuses_values_outside_zero_one(pred, target, match):
    with pytest.raises(ValueError, match=match):
        tg.BinaryCrossEntropy()(np.array(pred), np.array(target))


@pytest.mark.parametrize(
    "labels, match",
    [([0, 3], r"labels must lie in \[0, 3\)"), ([-1, 0], r"labels must lie in \[0, 3\)"), ([0.5, 1.0], "whole numbers")],
)
def test_softmax_cross_entropy_refuses_bad_labels(labels, match):
    with pytest.raises(ValueError, match=match):
        tg.SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array(labels))


def test_softmax_cross_entropy_is_finite_at_huge_logits():
    loss = tg.SoftmaxCrossEntropy()
    value = loss(np.array([[1e4, -1e4], [-1e4, 1e4]]), np.array([1, 1]))
    assert value == pytest.approx(1e4)
    assert np.isfinite(loss.backward()).all()


def test_loss_gradient_keeps_float32():
    loss = tg.MSE()
    loss(np.ones((2, 2), dtype=np.float32), np.zeros((2, 2)))
    assert loss.backward().dtype == np.float32


def test_binary_cross_entropy_after_a_sigmoid_at_huge_logits_is_finite_and_quiet():
    # pytest runs with warnings as errors: an overflow or a log(0) warning would fail this test
    sigmoid, loss = tg.Sigmoid(), tg.BinaryCrossEntropy()
    p = sigmoid(np.array([[1e4, -1e4, 1e4, -1e4]]))
    value = loss(p, np.array([[1.0, 0.0, 0.0, 1.0]]))
    dx = sigmoid.backward(loss.backward())
    assert value == pytest.approx(50.0) and np.isfinite(dx).all()


def test_a_target_beyond_the_range_of_pred_dtype_is_refused():
    with pytest.raises(ValueError, match=r"target holds 1e\+39, beyond the range of float32"):
        tg.MSE()(np.zeros((1, 1), dtype=np.float32), np.array([[1e39]]))


@pytest.mark.parametrize("target", [[[-1.0, 2.0]], [[0.5, 1.5]], [[np.nan, 1.0]]])
def test_soft_targets_outside_zero_to_one_are_refused(target):
    with pytest.raises(ValueError, match=r"^SoftmaxCrossEntropy\(\): target probabilities must lie in \[0, 1\], got values in"):
        tg.SoftmaxCrossEntropy()(np.zeros((1, 2)), np.array(target))
    assert tg.SoftmaxCrossEntropy()(np.zeros((1, 2)), np.array([[0.25, 0.75]])) == pytest.approx(np.log(2))


def test_a_ragged_target_is_named():
    with pytest.raises(ValueError, match=r"^SoftmaxCrossEntropy\(\): target must be a rectangular array"):
        tg.SoftmaxCrossEntropy()(np.zeros((2, 2)), [[1.0, 0.0], [1.0]])
    with pytest.raises(ValueError, match=r"^MSE\(\): target must be a rectangular array"):
        tg.MSE()(np.zeros((2, 2)), [[1.0, 0.0], [1.0]])
