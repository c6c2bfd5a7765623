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


# -- tg.accuracy(model, X, labels): what `(model.predict(X).argmax(axis=1) == labels).mean()` says ------------

def classifier(n_out, last=()):
    """A 3-feature model with Dropout (so eval mode matters) giving `n_out` columns."""
    return tg.Sequential(tg.Dense(3, 8, rng=0), tg.Tanh(), tg.Dropout(0.5, rng=1), tg.Dense(8, n_out, rng=2), *last)


def accuracy_cases(seed):
    """`(model, X, labels, kwargs, expected)`, `expected` written out from `predict` for each kind of output."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 3))
    many, sigmoid, logit = classifier(4), classifier(1, [tg.Sigmoid()]), classifier(1)
    labels = rng.integers(0, 4, 40)
    bits = rng.integers(0, 2, 40)
    return [
        (many, X, labels, {}, np.mean(many.predict(X).argmax(axis=1) == labels)),
        (many, X, np.eye(4)[labels], {}, np.mean(many.predict(X).argmax(axis=1) == labels)),
        (sigmoid, X, bits, {}, np.mean((sigmoid.predict(X)[:, 0] > 0.5) == bits)),
        (sigmoid, X, bits[:, None].astype(float), {}, np.mean((sigmoid.predict(X)[:, 0] > 0.5) == bits)),
        (logit, X, bits, {"threshold": 0.0}, np.mean((logit.predict(X)[:, 0] > 0.0) == bits)),
        (many, X, labels, {"batch_size": 7}, np.mean(many.predict(X).argmax(axis=1) == labels)),
    ]


def check_accuracy(accuracy):
    for seed in range(3):
        for model, X, labels, kwargs, expected in accuracy_cases(seed):
            before = [p.value.copy() for p in model.parameters()]
            got = accuracy(model, X, labels, **kwargs)
            assert type(got) is float and got == expected, (model, kwargs, got, expected)
            assert model.training and all(np.array_equal(a, p.value) for a, p in zip(before, model.parameters()))


def test_accuracy_is_the_fraction_predict_gets_right_for_every_kind_of_output():
    check_accuracy(tg.accuracy)


def what_every_user_writes(model, X, labels, **kwargs):
    return (model.predict(X).argmax(axis=1) == labels).mean()  # a np.float64; one column: always class 0


def in_training_mode(model, X, labels, **kwargs):
    pred = model(X)  # Dropout on: a different net at every call
    return float(np.mean(pred.argmax(axis=1) == (labels.argmax(axis=1) if labels.ndim == 2 else labels)))


@pytest.mark.parametrize("twin", [what_every_user_writes, in_training_mode])
def test_the_accuracy_check_catches_a_broken_twin(twin):
    with pytest.raises(AssertionError):
        check_accuracy(twin)


@pytest.mark.parametrize("labels, error, message", [
    (np.arange(40) % 5, ValueError, r"labels must lie in \[0, 4\) for the model's 4 classes, got values in \[0, 4\]"),
    ((np.arange(40) % 4).astype(float), TypeError, "labels must be integer class numbers, got dtype float64"),
    (np.zeros((40, 1), dtype=int), ValueError, r"the model.s output has shape \(40, 4\), so labels must have shape \(40,\) \(class numbers\) or \(40, 4\)"),
    (np.zeros(39, dtype=int), ValueError, r"X has 40 samples but labels has shape \(39,\)"),
])
def test_accuracy_refuses_labels_that_do_not_fit_the_output(labels, error, message):
    with pytest.raises(error, match="^accuracy: " + message):
        tg.accuracy(classifier(4), np.ones((40, 3)), labels)


def test_accuracy_of_one_output_column_takes_labels_0_or_1():
    with pytest.raises(ValueError, match=r"one output column, \(40, 1\), labels must be 0 or 1.*values in \[0, 2\]"):
        tg.accuracy(classifier(1), np.ones((40, 3)), np.arange(40) % 3)
