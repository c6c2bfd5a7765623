"""`Parameter`: what `p.grad` reads as, and the first increment kept as is only when nobody else holds it."""

import copy

import numpy as np
import pytest

import tinygraph as tg
from tinygraph import parameter


def test_values_are_float64_unless_given_float32_and_must_be_numbers():
    for dtype in (np.float16, np.longdouble, np.int32, bool):
        assert tg.Parameter(np.ones(2, dtype=dtype)).value.dtype == np.float64
    assert tg.Parameter(np.ones(2, dtype=np.float32)).value.dtype == np.float32
    with pytest.raises(TypeError, match="real numbers"):
        tg.Parameter(["a"])


def test_a_new_or_cleared_gradient_reads_as_zeros_of_the_right_shape_and_dtype():
    p = tg.Parameter(np.ones((2, 3), dtype=np.float32), name="w")
    for _ in range(2):
        assert p.grad.shape == (2, 3) and p.grad.dtype == np.float32 and not p.grad.any()
        assert not p.has_grad
        assert repr(p.grad) == repr(np.zeros((2, 3), np.float32))  # it prints as any array of zeros
        p.grad += np.ones((2, 3), np.float32)
        assert p.has_grad and p.grad.sum() == 6
        p.zero_grad()


def temporary(shape, value, addresses):
    """An array nothing else holds once returned, whose memory address is noted in `addresses`."""
    array = np.full(shape, value)
    addresses.append(array.ctypes.data)
    return array


def check_first_increment(make_parameter=tg.Parameter):
    """The contract of the first `+=` after `zero_grad`; returns nothing, raises AssertionError if broken."""
    p = make_parameter(np.zeros((3, 4)))
    addresses = []
    p.grad += temporary((3, 4), 2.0, addresses)
    assert p.grad.ctypes.data == addresses[0], "a temporary becomes the gradient, not copied"
    p.grad += temporary((3, 4), 1.0, addresses)
    assert p.grad.ctypes.data == addresses[0] and (p.grad == 3).all(), "later increments add in place"

    held = np.full((3, 4), 2.0)
    p.zero_grad()
    p.grad += held
    assert not np.shares_memory(p.grad, held), "an array somebody holds is copied"
    p.grad += 1.0
    assert (held == 2).all() and (p.grad == 3).all(), "adding to the gradient never changes the caller's array"

    upstream = np.full((6, 4), 5.0)
    p.zero_grad()
    p.grad += upstream[:3]  # a view of an array somebody holds
    assert not np.shares_memory(p.grad, upstream), "a view is copied"
    p.grad *= 2
    assert (upstream == 5).all()


def test_the_first_increment_is_kept_only_when_nobody_else_holds_it():
    check_first_increment()


def test_the_check_catches_a_parameter_that_keeps_every_increment(monkeypatch):
    monkeypatch.setattr(parameter, "TEMPORARY_REFCOUNT", 10**6)  # the broken twin: everything looks temporary
    with pytest.raises(AssertionError, match="copied"):
        check_first_increment()


def test_increments_of_another_shape_or_dtype_are_fitted_or_refused_naming_the_parameter():
    p = tg.Parameter(np.zeros((2, 3), np.float32), name="weight")
    p.grad += np.ones(3)  # broadcast, as `+=` on an array of zeros would
    assert p.grad.dtype == np.float32 and (p.grad == 1).all()
    p.zero_grad()
    with pytest.raises(ValueError, match=r"Parameter\(weight.*shape \(5, 3\) does not fit.*\(2, 3\)"):
        p.grad += np.ones((5, 3))
    with pytest.raises(ValueError, match="does not fit"):
        p.grad = np.ones((3, 2))


def test_writing_into_a_cleared_gradient_writes_into_a_real_one():
    p = tg.Parameter(np.zeros((2, 2)))
    p.grad[0, 0] = 7
    np.testing.assert_array_equal(p.grad, [[7, 0], [0, 0]])
    p.zero_grad()
    np.matmul(np.eye(2), np.full((2, 2), 3.0), out=p.grad)
    np.testing.assert_array_equal(p.grad, np.full((2, 2), 3.0))
    p.zero_grad()
    np.add.at(p.grad, [0, 0, 1], np.ones((3, 2)))  # unbuffered adds, as an embedding's backward makes them
    np.testing.assert_array_equal(p.grad, [[2, 2], [1, 1]])
    assert p.has_grad
    p.zero_grad()
    doubled = p.grad * 2  # arithmetic on the zeros gives plain arrays
    assert type(doubled) is np.ndarray and not doubled.any()
    row = p.grad[0]
    with pytest.raises(ValueError, match="read-only"):
        row += 1  # a slice of the zeros has no parameter to write to


def test_assigning_none_clears_and_assigning_an_array_replaces():
    p = tg.Parameter(np.zeros(3))
    p.grad = np.array([1.0, 2.0, 3.0])
    assert p.has_grad and p.grad[2] == 3
    p.grad = None
    assert not p.has_grad and not p.grad.any()


def test_copies_keep_the_gradient_or_its_absence():
    p = tg.Parameter(np.zeros(3))
    q = copy.deepcopy(p)
    assert not q.has_grad and not q.grad.any()
    p.grad += np.arange(3.0) * 1
    q = copy.deepcopy(p)
    assert q.has_grad and not np.shares_memory(q.grad, p.grad)
    np.testing.assert_array_equal(q.grad, [0, 1, 2])
