"""fit checks that the loss can compare the model's output with the target before any step (`data.check_target_fits`)."""

import copy

import numpy as np
import pytest

import tinygraph as tg
from tinygraph import data

N, N_VAL = 50, 20  # samples; neither is a multiple of the batch size, 8


def refusal(loss, n_out, target, validation_target=None):
    """Train a fresh Dense(3 -> n_out) on 50 samples in batches of 8; return (the error's message, whether any
    weight or optimizer state changed)."""
    X = np.random.default_rng(0).standard_normal((N, 3))
    net = tg.Sequential(tg.Dense(3, n_out, rng=0))
    before = net.state_dict()
    optimizer = tg.SGD(net.parameters(), lr=0.1, momentum=0.9)
    validation = None if validation_target is None else (X[:N_VAL], validation_target)
    with pytest.raises(ValueError) as info:
        tg.fit(net, loss, optimizer, X, target, epochs=2, batch_size=8, validation_data=validation, progress=False)
    changed = bool(optimizer.state) or any(not np.array_equal(before[k], v) for k, v in net.state_dict().items())
    return str(info.value), changed


labels = np.arange(N) % 3
CASES = {
    "target (n,) for an output (n, 1)": (tg.MSE(), 1, np.zeros(N), None, ["(50, 1)", "(50,)", "target.reshape(-1, 1)"]),
    "labels (n, 1) for logits (n, 3)": (tg.SoftmaxCrossEntropy(), 3, labels[:, None], None, ["(50, 3)", "(50, 1)"]),
    "one-hot rows of 4 classes for 3 logits": (tg.SoftmaxCrossEntropy(), 3, np.eye(4)[labels], None, ["(50, 3)", "(50, 4)"]),
    "a label out of range in the last row": (tg.SoftmaxCrossEntropy(), 3, np.r_[labels[:-1], 3], None, ["[0, 3)", "[0, 3]"]),
    "validation target (m,) for an output (m, 1)": (tg.MSE(), 1, np.zeros((N, 1)), np.zeros(N_VAL), ["(20, 1)", "(20,)"]),
}


def assert_refused_up_front(message, changed, names, target_name="target"):
    """The error comes from fit's check, before any step changed anything, and names the data's shapes."""
    assert message.startswith(f"fit: the loss cannot compare the model's output with {target_name}: "), message
    assert all(name in message for name in names), (message, names)
    assert not changed


@pytest.mark.parametrize("case", CASES)
def test_a_target_the_loss_cannot_take_is_refused_before_training_with_the_datas_shapes(case):
    loss, n_out, target, validation_target, names = CASES[case]
    target_name = "validation target" if validation_target is not None else "target"
    assert_refused_up_front(*refusal(loss, n_out, target, validation_target), names, target_name)


@pytest.mark.parametrize("case", CASES)
def test_without_the_check_the_first_batch_or_a_later_one_fails_instead(monkeypatch, case):
    """The broken twin: fit without check_target_fits; the loss then fails inside a step, naming a batch."""
    monkeypatch.setattr("tinygraph.training.check_target_fits", lambda *args: None)
    loss, n_out, target, validation_target, names = CASES[case]
    target_name = "validation target" if validation_target is not None else "target"
    with pytest.raises(AssertionError):
        assert_refused_up_front(*refusal(loss, n_out, target, validation_target), names, target_name)


def model_with_state():
    rng = np.random.default_rng(0)
    return tg.Sequential(tg.Dense(3, 4, rng=rng), tg.BatchNorm(4), tg.Dropout(0.5, rng=rng), tg.Dense(4, 1, rng=rng))


def look_changes_nothing(check):
    """Run `check` (fit's look at the first batch) on a model with running statistics and a Dropout generator;
    return True if the model, its statistics and its generator are as they were."""
    net, X = model_with_state(), np.random.default_rng(1).standard_normal((N, 3))
    before, generator = net.state_dict(), copy.deepcopy(net[2].rng.bit_generator.state)
    check(net, tg.MSE(), (X,), np.zeros((N, 1)), "target", 8)
    after = net.state_dict()
    return all(np.array_equal(before[k], after[k]) for k in before) and net[2].rng.bit_generator.state == generator


def look_in_training_mode(model, loss, inputs, target, target_name, batch_size):
    """Broken twin: the look at the first batch as a training forward (BatchNorm's statistics move, Dropout draws)."""
    loss(model(inputs[0][:batch_size])[:1].repeat(len(target), axis=0), target)


def test_the_look_at_the_first_batch_changes_nothing():
    assert look_changes_nothing(data.check_target_fits)
    assert not look_changes_nothing(look_in_training_mode)


def test_a_target_that_fits_trains_as_before():
    X = np.random.default_rng(0).standard_normal((N, 3))
    net = tg.Sequential(tg.Dense(3, 3, rng=0))
    history = tg.fit(net, tg.SoftmaxCrossEntropy(), tg.SGD(net.parameters(), lr=0.1), X, labels, epochs=2,
                     validation_data=(X[:N_VAL], labels[:N_VAL]), progress=False)
    assert len(history.epoch) == 2
