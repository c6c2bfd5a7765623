"""Copies of models: any depth copies, and what cannot be copied is named by whoever needed the copy."""

import copy
import threading
import warnings

import numpy as np
import pytest

import tinygraph as tg


def nest(depth):
    model = tg.Dense(2, 2, rng=0)
    for i in range(depth):
        model = tg.Sequential(model, tg.Tanh()) if i % 2 else tg.Residual(model)
    return model


def test_a_model_nested_600_deep_copies_and_shares_nothing_with_the_copy():
    model = nest(600)
    twin = copy.deepcopy(model)
    assert repr(twin) == repr(model)
    pairs = list(zip(model.named_layers(), twin.named_layers()))
    assert len(pairs) == 901 and all(a is not b and type(a) is type(b) and pa == pb for (pa, a), (pb, b) in pairs)
    (_, original), (_, copied) = model.named_parameters()[0], twin.named_parameters()[0]
    copied.value += 1
    assert not np.array_equal(original.value, copied.value)


def test_a_copy_keeps_sharing_within_itself_and_none_of_the_calls():
    shared = tg.Dense(2, 2, rng=0)
    model = tg.Sequential(shared, tg.Tanh(), shared)
    model(np.ones((3, 2)))  # calls waiting for a backward
    twin = copy.deepcopy(model)
    assert twin[0] is twin[2] and twin[0] is not shared
    assert twin[0]._calls == [] and len(shared._calls) == 2
    with pytest.raises(RuntimeError, match="backward called before forward"):
        twin.backward(np.ones((3, 2)))


class Locked(tg.Tanh):
    """A layer holding a lock, which cannot be copied."""

    def __init__(self):
        self.lock = threading.Lock()


@pytest.mark.parametrize("owner, run", [
    ("gradcheck", lambda model: tg.gradcheck(model, np.ones((2, 2)))),
    ("trace", lambda model: tg.trace(model, np.ones((2, 2)))),
    ("summary", lambda model: model.summary()),
])
def test_what_cannot_be_copied_is_named_by_the_tool_that_needed_a_copy(owner, run):
    model = tg.Sequential(tg.Dense(2, 2, rng=0), Locked())
    with pytest.raises(TypeError, match=rf"^{owner}: works on a copy of the model, but copying it failed \(TypeError: "
                                        r"cannot pickle '_thread.lock' object\); layer '1' holds lock = <unlocked "
                                        r"_thread.lock object .*; give that layer a __deepcopy__"):
        run(model)


def test_a_layer_that_shares_its_lock_with_its_copies_is_checked():
    class SharesItsLock(Locked):
        def __deepcopy__(self, memo):  # as the message advises
            twin = SharesItsLock()
            twin.lock = self.lock
            return twin

    with warnings.catch_warnings():
        assert tg.gradcheck(tg.Sequential(tg.Dense(2, 2, rng=0), SharesItsLock()), np.ones((2, 2)))
