"""gradcheck on every kind of layer: several inputs and outputs, integer inputs, buffers, random layers."""

import numpy as np
import pytest

import tinygraph as tg
import twins
from local_layers import (
    Add2, Add2ForgetsSecond, BatchStandardize, BatchStandardizeAsConstant, Lookup, LookupOverwrites, Merge2, Split2,
    Split2WrongSecond,
)

rng = np.random.default_rng(0)
A, B = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
INDICES = np.array([[0, 1, 1], [2, 0, 3]])  # index 1 and 0 repeat: their gradients must add up


def row(report, name):
    return next(r for r in report.rows if r.name == name)


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_several_inputs_each_get_a_row(mode):
    report = tg.gradcheck(Add2(), (A, B), mode=mode)
    assert report.ok and [r.name for r in report.rows] == ["input 0", "input 1"]
    broken = tg.gradcheck(Add2ForgetsSecond(), (A, B), mode=mode)
    assert [r.name for r in broken.rows if not r.ok] == ["input 1"]


def test_a_multi_input_backward_that_returns_one_array_is_reported():
    class ReturnsOne(Add2):
        def backward(self, dy):
            return dy

    report = tg.gradcheck(ReturnsOne(), (A, B))
    assert not report.ok and "not a tuple of 2 gradients" in row(report, "input 1").problem


def test_several_outputs_take_a_tuple_of_dys():
    assert tg.gradcheck(Split2(2), A).ok
    report = tg.gradcheck(Split2WrongSecond(2), A)
    assert not report.ok and not row(report, "input").ok


@pytest.mark.parametrize("mode", ["full", "fast"])
def test_an_integer_input_is_not_differentiated_and_the_table_says_so(mode):
    report = tg.gradcheck(tg.Sequential(Lookup(5, 3), tg.Tanh(), tg.Dense(3, 2, rng=0)), INDICES, mode=mode)
    assert report.ok, report
    first = report.rows[0]
    assert first.name == "input" and first.skipped and first.shape == (2, 3)
    assert "not checked: integer input (int64), parameters only" in str(report)
    assert [r.name for r in report.rows[1:]] == ["0.weight", "2.weight", "2.bias"]


def test_a_wrong_table_gradient_is_caught_and_blamed_behind_an_integer_input():
    assert not tg.gradcheck(LookupOverwrites(5, 3), INDICES)  # a repeated index must add up
    report = tg.gradcheck(tg.Sequential(LookupOverwrites(5, 3), tg.Tanh()), INDICES)
    assert report.culprit == "0"
    report = tg.gradcheck(tg.Sequential(Lookup(5, 3), twins.WrongFactorSigmoid()), INDICES)
    assert report.culprit == "1" and not row(report, "0.weight").ok


def test_integer_and_float_inputs_together():
    report = tg.gradcheck(Merge2(Lookup(5, 4), tg.Tanh()), (INDICES[:, :1].reshape(2, 1), A[:2, None, :]))
    assert report.ok, report
    assert [r.name for r in report.rows] == ["input 0", "input 1", "left.weight"] and report.rows[0].skipped


def test_batch_statistics_are_checked_as_a_function_of_the_whole_batch():
    layer = BatchStandardize(4)
    report = tg.gradcheck(layer, A)
    assert report.ok and "buffers put back before every forward (running_mean, running_var)" in str(report)
    np.testing.assert_array_equal(layer.running_mean, np.zeros(4))  # the model's buffers are left alone
    broken = tg.gradcheck(BatchStandardizeAsConstant(4), A)  # forgets that the mean and variance depend on x
    assert not row(broken, "input").ok and row(broken, "gamma").ok
    assert tg.gradcheck(BatchStandardizeAsConstant(4).eval(), A).ok  # in eval mode that backward is right


def test_buffers_are_put_back_before_every_forward():
    class Counts(tg.Layer):
        """y = x * calls: a layer whose buffer changes at every forward would be a different function each time."""

        def __init__(self):
            self.register_buffer("calls", np.ones(1))

        def forward(self, x):
            self.calls = self.calls + 1
            return x * self.calls

        def backward(self, dy):
            return dy * self.calls

    assert tg.gradcheck(Counts(), A)


def test_a_random_layer_draws_the_same_mask_every_evaluation():
    net = tg.Sequential(tg.Dense(4, 6, rng=0), tg.Dropout(0.5, rng=1), tg.Dense(6, 2, rng=2))
    report = tg.gradcheck(net, A)
    assert report.ok and "random generators rewound before every forward (1)" in str(report)
    assert tg.gradcheck(net, A, mode="fast").ok
