"""Callbacks: every `on_train_end` runs once however training ends, even when another hook raises; EarlyStopping
says what it did."""

import contextlib
import io

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


# -- EarlyStopping says what it did, counting epochs as the log does ----------------------------------------


def stopped_run(stopper):
    """A run whose validation loss falls, then rises (the validation targets are half the training ones),
    so `stopper` stops it; returns (log lines, history, {epoch: weights at its end}, the final weights)."""
    net, X, y = setup()
    log, weights = io.StringIO(), {}
    history = tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=50, batch_size=8, seed=0,
                     validation_data=(X, 0.5 * y), progress=log,
                     callbacks=[lambda epoch, logs: weights.update({epoch: net.state_dict()}), stopper])
    return log.getvalue().splitlines(), history, weights, net.state_dict()


def assert_says_what_it_did(stopper, lines, history, weights, final):
    """The log says that training stopped, after which epoch, and whose weights came back; the epoch numbers
    are the log's own, and so are `best_epoch` and `stopped_epoch`."""
    epochs = [int(line.split()[1].split("/")[0]) for line in lines if line.startswith("epoch")]
    printed = {int(line.split()[1].split("/")[0]): line.split("val_loss ")[1] for line in lines if line.startswith("epoch")}
    assert epochs == history.epoch == list(range(1, len(epochs) + 1))
    best = min(history.epoch, key=lambda epoch: history.history["val_loss"][epoch - 1])
    assert lines[-2:] == [
        f"EarlyStopping: stopped after epoch {epochs[-1]}: val_loss did not improve on {printed[best]} (epoch {best}) "
        f"for {stopper.patience} epochs",
        f"EarlyStopping: restored the weights of epoch {best} (val_loss {printed[best]})",
    ]
    assert (stopper.best_epoch, stopper.stopped_epoch, stopper.best) == (best, epochs[-1], history.history["val_loss"][best - 1])
    assert all(np.array_equal(final[name], value) for name, value in weights[best].items())


class CountsFromZero(tg.EarlyStopping):
    """Broken twin: `best_epoch` and `stopped_epoch` count from 0, as in tinygraph 0.1, while the log counts from 1."""

    def on_epoch_end(self, epoch, logs):
        return super().on_epoch_end(epoch - 1, logs)


class StopsSilently(tg.EarlyStopping):
    """Broken twin: restores the best weights but says nothing, as in tinygraph 0.1."""

    def on_train_end(self, model):
        super().on_train_end(model)


def test_early_stopping_logs_when_it_stopped_and_which_epochs_weights_it_restored():
    stopper = tg.EarlyStopping(patience=3)
    assert_says_what_it_did(stopper, *stopped_run(stopper))
    for twin in (CountsFromZero(patience=3), StopsSilently(patience=3)):
        with pytest.raises(AssertionError):
            assert_says_what_it_did(twin, *stopped_run(twin))


def test_early_stopping_says_which_weights_the_model_keeps_when_it_did_not_stop_or_was_told_not_to_restore():
    net, X, y = setup()
    log = io.StringIO()
    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=3, progress=log, callbacks=tg.EarlyStopping("loss"))
    *_, last_epoch, said = log.getvalue().splitlines()  # the loss falls at every epoch: the last is the best
    assert last_epoch.startswith("epoch 3/3") and said == f"EarlyStopping: restored the weights of epoch 3 (loss {last_epoch.split()[-1]})"
    lines, history, _, _ = stopped_run(tg.EarlyStopping(patience=1, restore_best_weights=False))
    assert lines[-1] == f"EarlyStopping: kept the weights of epoch {history.epoch[-1]}, the last (restore_best_weights=False)"
    assert lines[-2].startswith(f"EarlyStopping: stopped after epoch {history.epoch[-1]}: ") and lines[-2].endswith("for 1 epoch")
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=2, progress=False,
               callbacks=tg.EarlyStopping("loss"))
    assert quiet.getvalue() == ""  # progress=False: nothing at all
