import copy
import io
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygraph as tg
from tinygraph.testing import graphs


class Recorder(tg.Layer):
    """Identity that remembers every batch it sees (to check how fit slices the data)."""

    def __init__(self):
        self.batches = []

    def forward(self, x):
        self.batches.append(x.copy())
        return x

    def backward(self, dy):
        return dy


def regression_data(n=50, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    return X, X @ np.array([[1.0], [-2.0], [0.5]]) + 0.1


def classification_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2))
    return X, (X[:, 0] + X[:, 1] > 0).astype(np.int64)


def small_net(n_in=3, n_out=1, seed=0):
    return tg.Sequential(tg.Dense(n_in, 8, rng=seed), tg.Tanh(), tg.Dense(8, n_out, rng=seed + 1))


@given(st.integers(1, 40), st.integers(1, 50), st.booleans())
def test_every_sample_once_per_epoch_in_batches_with_the_remainder_last(n_samples, batch_size, shuffle):
    X, y = regression_data(n_samples)
    recorder = Recorder()
    net = tg.Sequential(recorder, tg.Dense(3, 1, rng=0))
    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=2, batch_size=batch_size,
           shuffle=shuffle, seed=1, progress=False)
    sizes = [len(b) for b in recorder.batches]
    per_epoch = [batch_size] * (n_samples // batch_size) + ([n_samples % batch_size] if n_samples % batch_size else [])
    assert sizes == per_epoch * 2
    epochs = np.split(np.concatenate(recorder.batches), 2)
    for seen in epochs:
        assert sorted(map(tuple, seen)) == sorted(map(tuple, X))
    if not shuffle:
        np.testing.assert_array_equal(epochs[0], X)


def test_fit_is_the_hand_written_loop():
    X, y = regression_data(50)
    net, twin = small_net(), small_net()
    history = tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.05, momentum=0.9), X, y,
                     epochs=3, batch_size=16, shuffle=False, progress=False)
    loss, opt = tg.MSE(), tg.SGD(twin.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(3):
        total = 0.0
        for start in range(0, 50, 16):
            xb, yb = X[start : start + 16], y[start : start + 16]
            opt.zero_grad()
            total += loss(twin(xb), yb) * len(xb)
            twin.backward(loss.backward())
            opt.step()
        assert history.history["loss"][epoch] == pytest.approx(total / 50, rel=1e-12)
    for a, b in zip(net.parameters(), twin.parameters()):
        np.testing.assert_array_equal(a.value, b.value)


def test_the_same_seed_gives_a_bit_identical_run_and_another_seed_does_not():
    X, y = classification_data()

    def run(seed):
        rng = np.random.default_rng(seed)
        net = tg.Sequential(tg.Dense(2, 8, rng=rng), tg.ReLU(), tg.Dense(8, 2, rng=rng))
        history = tg.fit(net, tg.SoftmaxCrossEntropy(), tg.SGD(net.parameters(), lr=0.1, momentum=0.9), X, y,
                         epochs=4, batch_size=8, seed=seed, progress=False)
        return history.history, net.state_dict()

    (h1, w1), (h2, w2), (h3, _) = run(3), run(3), run(4)
    assert h1 == h2 and h1 != h3
    assert all(np.array_equal(w1[name], w2[name]) for name in w1)


@pytest.mark.parametrize(
    "loss, data, n_out, keys",
    [
        (tg.MSE(), regression_data, 1, ["loss", "val_loss"]),
        (tg.SoftmaxCrossEntropy(), classification_data, 2, ["loss", "accuracy", "val_loss", "val_accuracy"]),
    ],
)
def test_history_has_one_value_per_epoch_and_accuracy_for_classification(loss, data, n_out, keys):
    X, y = data()
    net = small_net(X.shape[1], n_out)
    history = tg.fit(net, loss, tg.SGD(net.parameters(), lr=0.05), X, y, epochs=3, validation_data=(X[:10], y[:10]),
                     progress=False)
    assert list(history.history) == keys and history.epoch == [0, 1, 2]
    assert all(len(values) == 3 for values in history.history.values())
    assert history.history["val_loss"][-1] == pytest.approx(tg.evaluate(net, loss, X[:10], y[:10])["loss"])


def test_binary_cross_entropy_gets_accuracy_too():
    X, y = classification_data()
    net = tg.Sequential(tg.Dense(2, 1, rng=0), tg.Sigmoid())
    history = tg.fit(net, tg.BinaryCrossEntropy(), tg.SGD(net.parameters(), lr=0.5), X, y.reshape(-1, 1),
                     epochs=20, progress=False)
    assert history.history["accuracy"][-1] > 0.9


def test_evaluate_and_predict():
    X, y = classification_data()
    net = tg.Sequential(tg.Dense(2, 4, rng=0), tg.ReLU(), tg.Dense(4, 2, rng=1))
    pred = net.predict(X)
    results = tg.evaluate(net, tg.SoftmaxCrossEntropy(), X, y, batch_size=7)
    assert results["loss"] == pytest.approx(tg.SoftmaxCrossEntropy()(pred, y), rel=1e-12)
    assert results["accuracy"] == np.mean(pred.argmax(axis=1) == y)
    np.testing.assert_allclose(net.predict(X, batch_size=7), pred, rtol=1e-13)


def test_predict_runs_in_eval_mode_and_restores_each_flag():
    class ModeSpy(Recorder):
        def forward(self, x):
            self.batches.append(self.training)
            return x

    spy, other = ModeSpy(), tg.ReLU()
    net = tg.Sequential(spy, other)
    other.eval()
    net.predict(np.ones((3, 2)))
    assert spy.batches == [False] and spy.training and not other.training
    with pytest.raises(ValueError, match="batch_size"):
        net.predict(np.ones((3, 2)), batch_size=0)


def test_early_stopping_stops_after_patience_and_restores_the_best_weights():
    X, y = regression_data()
    net = small_net()
    losses = iter([5.0, 3.0, 4.0, 4.5, 2.0])  # validation losses the hook reports: best at epoch 1
    weights = {}

    def fake_validation(epoch, logs):
        logs["val_loss"] = next(losses)
        weights[epoch] = net.state_dict()

    stopper = tg.EarlyStopping(monitor="val_loss", patience=2)
    history = tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=10,
                     callbacks=[fake_validation, stopper], progress=False)
    assert history.epoch == [0, 1, 2, 3] and stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    assert stopper.best == 3.0
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, weights[1][name])


def test_early_stopping_restores_the_best_weights_when_epochs_run_out_or_training_fails():
    X, y = regression_data()
    net = small_net()
    seen = []

    def record(epoch, logs):
        seen.append((logs["loss"], net.state_dict()))

    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.5), X, y, epochs=4,
           callbacks=[record, tg.EarlyStopping(monitor="loss", patience=10)], progress=False)
    best_loss, best_weights = min(seen, key=lambda item: item[0])
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, best_weights[name])

    def explode(epoch, logs):
        if epoch == 2:
            raise KeyboardInterrupt

    net = small_net()
    stopper = tg.EarlyStopping(monitor="loss", patience=10)
    with pytest.raises(KeyboardInterrupt):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=5, callbacks=[stopper, explode],
               progress=False)
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, stopper.best_weights[name])


def test_early_stopping_accuracy_is_maximised_and_a_missing_monitor_is_explained():
    assert tg.EarlyStopping(monitor="val_accuracy").sign == -1.0
    X, y = regression_data()
    net = small_net()
    with pytest.raises(ValueError, match="'val_loss' is not among.*pass validation_data"):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=2,
               callbacks=[tg.EarlyStopping()], progress=False)


def test_a_hook_sees_every_epoch_and_can_stop_training():
    X, y = regression_data()
    net = small_net()
    seen = []
    history = tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=10, progress=False,
                     callbacks=[lambda epoch, logs: seen.append(epoch) or epoch == 2])
    assert seen == [0, 1, 2] and history.epoch == [0, 1, 2]


def test_a_diverging_loss_stops_with_epoch_and_step_and_keeps_finite_weights():
    X, y = regression_data()
    net = small_net()
    with pytest.raises(FloatingPointError, match=r"epoch \d+, step \d+ of 4"):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=1e6), X, y * 1e3, epochs=50, batch_size=16, progress=False)
    assert all(np.isfinite(p.value).all() for p in net.parameters())


@pytest.mark.parametrize("where", ["X", "y"])
def test_nan_in_the_data_is_refused_up_front_naming_the_row(where):
    X, y = regression_data()
    (X if where == "X" else y)[7, 0] = np.nan
    net = small_net()
    before = net.state_dict()
    with pytest.raises(ValueError, match="NaN or Inf, first in row 7"):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=1, progress=False)
    assert all(np.array_equal(before[k], v) for k, v in net.state_dict().items())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(epochs=-1), "epochs must be an int >= 0"),
        (dict(epochs=1.5), "epochs must be an int >= 0"),
        (dict(epochs=1, batch_size=0), "batch_size must be an int >= 1"),
        (dict(epochs=1, validation_data=np.ones(3)), "validation_data must be a pair"),
    ],
)
def test_invalid_fit_arguments(kwargs, match):
    X, y = regression_data()
    net = small_net()
    with pytest.raises(ValueError, match=match):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, progress=False, **kwargs)


def test_mismatched_lengths_are_refused():
    X, y = regression_data()
    net = small_net()
    with pytest.raises(ValueError, match="X has 50 samples but target has shape"):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y[:-1], epochs=1, progress=False)


def test_zero_epochs_train_nothing():
    X, y = regression_data()
    net = small_net()
    before = net.state_dict()
    history = tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=0, progress=False)
    assert history.history == {} and all(np.array_equal(before[k], v) for k, v in net.state_dict().items())


def test_float32_training_stays_float32_everywhere():
    X, y = classification_data()
    net = tg.Sequential(tg.Dense(2, 8, rng=0), tg.ReLU(), tg.Dense(8, 2, rng=1)).astype(np.float32)
    opt = tg.SGD(net.parameters(), lr=0.1, momentum=0.9)
    outputs = []
    tg.fit(net, tg.SoftmaxCrossEntropy(), opt, X, y, epochs=2, progress=False,
           callbacks=[lambda epoch, logs: outputs.append(net.predict(X).dtype)])
    assert outputs == [np.float32, np.float32]
    assert all(p.value.dtype == p.grad.dtype == np.float32 for p in net.parameters())
    assert all(state["momentum"].dtype == np.float32 for state in opt.state.values())


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_off_a_terminal_is_one_line_per_epoch(capsys):
    X, y = regression_data()
    net = small_net()
    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=3, batch_size=4)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert [line.split()[:2] for line in lines] == [["epoch", "1/3"], ["epoch", "2/3"], ["epoch", "3/3"]]
    assert all("loss" in line and "\r" not in line for line in lines)


def test_progress_false_prints_nothing_and_a_terminal_gets_a_live_bar(capsys):
    X, y = regression_data()
    net = small_net()
    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=2, progress=False)
    assert capsys.readouterr().out == ""
    terminal = FakeTerminal()
    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=2, batch_size=5, progress=terminal)
    text = terminal.getvalue()
    assert "\r" in text and "[" in text and text.count("\n") == 2
    assert math.isfinite(float(text.splitlines()[-1].split("loss")[1].split()[0]))


def test_a_single_callback_need_not_be_in_a_list():
    X, y = regression_data()
    net = small_net()
    seen = []
    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=2, progress=False,
           callbacks=lambda epoch, logs: seen.append(epoch))
    stopper = tg.EarlyStopping(monitor="loss", patience=np.int64(1))
    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=2, progress=False, callbacks=stopper)
    assert seen == [0, 1] and stopper.best_epoch is not None


@pytest.mark.parametrize("kwargs", [dict(patience=True), dict(patience=-1), dict(min_delta=float("nan")),
                                    dict(min_delta="0"), dict(mode="up")])
def test_early_stopping_refuses_bad_settings(kwargs):
    with pytest.raises(ValueError, match="EarlyStopping"):
        tg.EarlyStopping(**kwargs)


def test_fit_refuses_a_model_that_already_holds_nan():
    X, y = regression_data()
    net = small_net()
    net[2].bias.value[0] = np.nan
    with pytest.raises(ValueError, match="parameter '2.bias' holds NaN or Inf"):
        tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=1, progress=False)


def test_fit_does_not_compute_the_gradient_of_the_input():
    class Spy(tg.Dense):
        asked = []

        def backward(self, dy):
            self.asked.append(self.needs_dx)
            return super().backward(dy)

    X, y = regression_data()
    first, second = Spy(3, 2, rng=0), Spy(2, 1, rng=1)
    net = tg.Sequential(first, tg.Tanh(), second)
    tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=1, batch_size=25, progress=False)
    assert Spy.asked == [True, False, True, False]  # per step: the second layer's dx is needed, the first's not


def hand_written_fit(net, X, target, epochs, batch_size, lr):
    """What fit(..., shuffle=False) does with MSE and SGD, written out."""
    loss, opt = tg.MSE(), tg.SGD(net.parameters(), lr=lr)
    for _ in range(epochs):
        for start in range(0, len(X), batch_size):
            opt.zero_grad()
            loss(net(X[start : start + batch_size]), target[start : start + batch_size])
            net.backward(loss.backward())
            opt.step()


@given(graphs())
def test_fit_trains_any_graph_of_layers_as_the_hand_written_loop_does(net_and_x):
    graph, x = net_and_x
    n_out = graph(x).shape[1]
    # Something to train in every graph (the last bias always learns, even after a dead ReLU). Both runs
    # train in training mode, and the twin is a copy, so a Dropout draws the same masks in both.
    net = tg.Sequential(tg.Dense(x.shape[1], x.shape[1], rng=0), graph, tg.Dense(n_out, n_out, rng=1))
    twin = copy.deepcopy(net)
    target = np.random.default_rng(0).standard_normal((len(x), n_out))
    start = net.state_dict()
    history = tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), x, target, epochs=3, batch_size=4,
                     shuffle=False, progress=False)
    hand_written_fit(twin, x, target, epochs=3, batch_size=4, lr=0.01)
    assert len(history.history["loss"]) == 3 and all(np.isfinite(history.history["loss"]))
    for name, value in net.state_dict().items():
        np.testing.assert_allclose(value, twin.state_dict()[name], rtol=1e-12, atol=1e-15)
    assert any(not np.array_equal(value, start[name]) for name, value in net.state_dict().items()), "nothing trained"


def test_the_graph_check_catches_a_fit_that_does_not_update():
    class Frozen(tg.SGD):
        def update(self, p, g, state):
            pass  # the broken twin: no update at all

    x = np.random.default_rng(1).standard_normal((8, 3))
    net = tg.Sequential(tg.Dense(3, 3, rng=0), tg.Tanh())
    twin = copy.deepcopy(net)
    target = np.zeros((8, 3))
    tg.fit(net, tg.MSE(), Frozen(net.parameters(), lr=0.01), x, target, epochs=3, batch_size=4, shuffle=False,
           progress=False)
    hand_written_fit(twin, x, target, epochs=3, batch_size=4, lr=0.01)
    assert not np.allclose(net[0].weight.value, twin[0].weight.value, rtol=1e-12, atol=1e-15)
