"""`fit` and `evaluate` with the training toolkit: schedules, losses with options, reductions."""

import io

import numpy as np
import pytest

import tinygraph as tg
from tinygraph import schedules


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    return X, (X[:, 0] - X[:, 1] > 0).astype(np.int64)


def net(n_out=2, seed=0):
    return tg.Sequential(tg.Dense(3, 8, rng=seed), tg.Tanh(), tg.Dense(8, n_out, rng=seed + 1))


def test_fit_steps_the_schedule_after_each_epoch_and_logs_the_rate_each_epoch_used():
    X, y = data()
    model, twin = net(), net()
    opt = tg.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = tg.fit(model, tg.SoftmaxCrossEntropy(), opt, X, y, epochs=5, batch_size=16, shuffle=False,
                     schedule=schedules.StepLR(opt, step_size=2, gamma=0.5), progress=False)
    assert history.history["lr"] == [0.1, 0.1, 0.05, 0.05, 0.025] and opt.lr == 0.025  # epoch 6 would keep it
    loss, twin_opt = tg.SoftmaxCrossEntropy(), tg.SGD(twin.parameters(), lr=0.1, momentum=0.9)
    schedule = schedules.StepLR(twin_opt, step_size=2, gamma=0.5)
    for _ in range(5):  # the loop a PyTorch user writes
        for start in range(0, 40, 16):
            twin_opt.zero_grad()
            loss(twin(X[start:start + 16]), y[start:start + 16])
            twin.backward(loss.backward())
            twin_opt.step()
        schedule.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(a.value, b.value)


def test_without_a_schedule_nothing_logs_a_rate():
    X, y = data()
    model = net()
    history = tg.fit(model, tg.SoftmaxCrossEntropy(), tg.SGD(model.parameters(), lr=0.1), X, y, epochs=1, progress=False)
    assert "lr" not in history.history


def test_the_rate_is_printed_in_each_epoch_line():
    X, y = data()
    model = net()
    opt = tg.Adam(model.parameters(), lr=1e-3)
    out = io.StringIO()
    tg.fit(model, tg.SoftmaxCrossEntropy(), opt, X, y, epochs=2, schedule=schedules.ExponentialLR(opt, 0.1), progress=out)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("lr 0.001") and lines[1].endswith("lr 0.0001")


def test_fit_refuses_a_schedule_of_another_optimizer_or_something_else():
    X, y = data()
    model = net()
    opt, other = tg.SGD(model.parameters(), lr=0.1), tg.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"fit: the schedule StepLR\(step_size=1, gamma=0.1\) steps another optimizer"):
        tg.fit(model, tg.SoftmaxCrossEntropy(), opt, X, y, epochs=1, schedule=schedules.StepLR(other, 1))
    with pytest.raises(TypeError, match="fit: schedule must be a schedule from tinygraph.schedules, got function"):
        tg.fit(model, tg.SoftmaxCrossEntropy(), opt, X, y, epochs=1, schedule=lambda epoch: 0.1)


@pytest.mark.parametrize("call", [
    lambda m, loss, X, y: tg.fit(m, loss, tg.SGD(m.parameters(), lr=0.1), X, y, epochs=1, progress=False),
    lambda m, loss, X, y: tg.evaluate(m, loss, X, y),
])
def test_fit_and_evaluate_refuse_an_unreduced_loss_and_leave_the_model_alone(call):
    X, y = data()
    model = net()
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"the loss SoftmaxCrossEntropy\(reduction='none'\) has reduction='none' "
                                         r"\(one loss per sample\); .* use reduction='mean' \(the default\) or 'sum'"):
        call(model, tg.SoftmaxCrossEntropy(reduction="none"), X, y)
    assert all(np.array_equal(before[k], v) for k, v in model.state_dict().items())


def test_a_summed_loss_logs_the_sum_over_the_epoch():
    X, y = data(n=30)
    model = net()
    loss = tg.SoftmaxCrossEntropy(reduction="sum")
    start = {k: v.copy() for k, v in model.state_dict().items()}
    history = tg.fit(model, loss, tg.SGD(model.parameters(), lr=0.01), X, y, epochs=1, batch_size=8,
                     shuffle=False, progress=False)
    model.load_state_dict(start)
    opt, total = tg.SGD(model.parameters(), lr=0.01), 0.0
    for begin in range(0, 30, 8):
        opt.zero_grad()
        total += loss(model(X[begin:begin + 8]), y[begin:begin + 8])
        model.backward(loss.backward())
        opt.step()
    assert history.history["loss"] == [pytest.approx(total, rel=1e-12)]


@pytest.mark.parametrize("loss, target_of, keys", [
    (tg.SoftmaxCrossEntropy(weight=[1.0, 3.0], ignore_index=-1, label_smoothing=0.1), lambda y: np.where(y % 5 == 0, -1, y),
     ["loss", "accuracy"]),
    (tg.BCEWithLogits(pos_weight=[2.0]), lambda y: y.reshape(-1, 1).astype(float), ["loss", "accuracy"]),
    (tg.Huber(delta=0.5), lambda y: y.reshape(-1, 1).astype(float), ["loss"]),
    (tg.L1(reduction="sum"), lambda y: y.reshape(-1, 1).astype(float), ["loss"]),
])
def test_fit_trains_with_losses_that_have_options(loss, target_of, keys):
    X, y = data(n=60)
    target = target_of(y)
    model = net(n_out=2 if isinstance(loss, tg.SoftmaxCrossEntropy) else 1)
    history = tg.fit(model, loss, tg.Adam(model.parameters(), lr=0.05), X, target, epochs=15, batch_size=10,
                     seed=0, progress=False)
    assert list(history.history) == keys
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    assert set(tg.evaluate(model, loss, X, target)) == set(keys)


def test_accuracy_does_not_count_ignored_labels():
    model = tg.Sequential(tg.Identity())
    logits = np.array([[2.0, 0.0], [0.0, 2.0], [2.0, 0.0]])
    scores = tg.evaluate(model, tg.SoftmaxCrossEntropy(ignore_index=-100), logits, np.array([0, 0, -100]))
    assert scores["accuracy"] == 0.5  # one of the two counted labels; the ignored third is not a miss
