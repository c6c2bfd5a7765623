"""What fit logs and evaluate returns: plain Python floats, whatever the loss (`metrics.plain`)."""

import json

import numpy as np
import pytest

import tinygraph as tg
from tinygraph import schedules

CLASSIFIERS = [
    # loss, the model's last layer, targets from 0/1 labels
    (tg.SoftmaxCrossEntropy(), 2, lambda labels: labels),
    (tg.SoftmaxCrossEntropy(ignore_index=1), 2, lambda labels: labels),
    (tg.BinaryCrossEntropy(), 1, lambda labels: labels[:, None].astype(float)),
    (tg.BCEWithLogits(), 1, lambda labels: labels[:, None].astype(float)),
    (tg.MSE(reduction="sum"), 1, lambda labels: labels[:, None].astype(float)),
]


def logged_numbers(loss, n_out, targets):
    """Every number a run shows: the history, each callback's logs, and evaluate's results."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 2))
    labels = (X[:, 0] > 0).astype(np.int64)
    layers = [tg.Dense(2, n_out, rng=0)] + ([tg.Sigmoid()] if isinstance(loss, tg.BinaryCrossEntropy) else [])
    net = tg.Sequential(*layers)
    optimizer = tg.SGD(net.parameters(), lr=np.float64(0.1))
    seen = []
    history = tg.fit(net, loss, optimizer, X, targets(labels), epochs=2, progress=False, seed=0,
                     validation_data=(X, targets(labels)), schedule=schedules.StepLR(optimizer, 1),
                     callbacks=[lambda epoch, logs: seen.append(dict(logs))])
    numbers = [value for values in history.history.values() for value in values]
    numbers += [value for logs in seen for value in logs.values()]
    return numbers + list(tg.evaluate(net, loss, X, targets(labels)).values())


def assert_plain_floats(numbers):
    assert numbers and all(type(number) is float for number in numbers), {type(number) for number in numbers}
    json.dumps(numbers)  # what a plain float is for: it goes anywhere a number goes


@pytest.mark.parametrize("loss, n_out, targets", CLASSIFIERS, ids=lambda case: repr(case) if isinstance(case, tg.Loss) else "")
def test_every_logged_number_is_a_plain_float(loss, n_out, targets):
    assert_plain_floats(logged_numbers(loss, n_out, targets))


def test_without_plain_the_accuracy_would_be_a_numpy_float(monkeypatch):
    """The broken twin: fit and evaluate without `plain` log NumPy's accuracies, and the check sees it."""
    monkeypatch.setattr("tinygraph.training.plain", lambda results: results)
    with pytest.raises(AssertionError, match="numpy.float64"):
        assert_plain_floats(logged_numbers(*CLASSIFIERS[0]))
