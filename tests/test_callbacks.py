"""Callbacks: every `on_train_end` runs once however training ends, even when another hook raises."""

import numpy as np
import pytest

import tinygraph as tg


def setup():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 3))
    net = tg.Sequential(tg.Dense(3, 4, rng=0), tg.Tanh(), tg.Dense(4, 1, rng=1))
    return net, X, X @ np.array([[1.0], [-1.0], [0.5]])


class Log(tg.Callback):
    """Records which of its hooks ran, in `events`; raises from the hook named in `fails`."""

    def __init__(self, name, events, fails=None):
        self.name, self.events, self.fails = name, events, fails

    def hook(self, which):
        self.events.append(f"{self.name}.{which}")
        if which == self.fails:
            raise RuntimeError(f"{self.name} failed in {which}")

    def on_train_begin(self, model):
        self.hook("begin")

    def on_train_end(self, model):
        self.hook("end")


def fit(net, X, y, callbacks, epochs=3, lr=0.05):
    return tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=lr), X, y, epochs=epochs, callbacks=callbacks,
                  progress=False, shuffle=False)


def test_an_on_train_end_that_raises_does_not_stop_early_stopping_from_restoring_the_best_weights():
    net, X, y = setup()
    events = []
    weights = []
    stopper = tg.EarlyStopping(monitor="loss", patience=10)
    spy = tg.EpochHook(lambda epoch, logs: weights.append((logs["loss"], net.state_dict())))
    with pytest.raises(RuntimeError, match="first failed in end"):
        fit(net, X, y, [Log("first", events, fails="end"), spy, stopper], epochs=4, lr=2.0)  # lr 2: the loss wanders
    best = min(weights, key=lambda item: item[0])[1]
    assert all(np.array_equal(best[name], value) for name, value in net.state_dict().items())
    assert events == ["first.begin", "first.end"]


def test_an_on_train_begin_that_raises_still_ends_the_callbacks_that_began_and_only_those():
    net, X, y = setup()
    events = []
    with pytest.raises(RuntimeError, match="second failed in begin"):
        fit(net, X, y, [Log("first", events), Log("second", events, fails="begin"), Log("third", events)])
    assert events == ["first.begin", "second.begin", "first.end"]


def test_every_end_runs_once_and_the_first_error_is_raised():
    net, X, y = setup()
    events = []
    with pytest.raises(RuntimeError, match="a failed in end") as info:
        fit(net, X, y, [Log("a", events, fails="end"), Log("b", events, fails="end"), Log("c", events)])
    assert events == ["a.begin", "b.begin", "c.begin", "a.end", "b.end", "c.end"]
    assert "b failed" not in str(info.value)


def test_when_training_fails_the_ends_run_and_the_training_error_is_what_is_raised():
    net, X, y = setup()
    events = []

    def stop(epoch, logs):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        fit(net, X, y, [Log("a", events), stop, Log("b", events)])
    assert events == ["a.begin", "b.begin", "a.end", "b.end"]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(monitor=5), TypeError, r"^EarlyStopping: monitor must be the name of a logged value such as 'val_loss', got int 5"),
    (dict(monitor=None), TypeError, "monitor must be the name of a logged value"),
    (dict(restore_best_weights="yes"), TypeError, r"^EarlyStopping: restore_best_weights must be True or False, got 'yes'"),
])
def test_early_stopping_names_a_wrong_argument(kwargs, error, match):
    with pytest.raises(error, match=match):
        tg.EarlyStopping(**kwargs)
