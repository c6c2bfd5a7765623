"""Threads: `predict` and `evaluate` from other threads while one thread trains (tinygraph.inference).

The two dangerous interleavings are forced in a fixed order (a prediction between a training forward
and its backward; a training step while a prediction is halfway through the model), so that each test
fails the same way every time on a `predict` that touches the model; a free-running test follows.
"""

import sys
import threading

import numpy as np
import pytest

import tinygraph as tg


class ModeScale(tg.Layer):
    """`y = 2x` in training mode, `y = x` in eval mode: every value and gradient shows which mode it saw."""

    def forward(self, x):
        factor = 2.0 if self.training else 1.0
        self.save_for_backward(factor)
        return x * factor

    def backward(self, dy):
        return dy * self.pop_saved()


class Pause(tg.Layer):
    """The identity; in a thread that has a hook in `hooks`, its forward first runs that hook (once)."""

    hooks = {}

    def forward(self, x):
        hook = self.hooks.pop(threading.get_ident(), None)
        if hook is not None:
            hook()
        return x

    def backward(self, dy):
        return dy


def in_thread(function):
    """Run `function()` in a new thread and wait for it; return what it returned (or raised)."""
    result = {}

    def run():
        try:
            result["value"] = function()
        except Exception as error:  # noqa: BLE001 (the caller inspects it)
            result["value"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    return result["value"]


def new_case():
    rng = np.random.default_rng(0)
    model = tg.Sequential(tg.Dense(4, 8, rng=0), ModeScale(), Pause(), tg.Tanh(), tg.Dense(8, 2, rng=1))
    X, dy = rng.standard_normal((16, 4)), rng.standard_normal((16, 2))
    model.zero_grad()
    model(X)
    model.backward(dy)
    grads = [p.grad.copy() for p in model.parameters()]
    model.eval()
    expected = model(X)
    model.train()
    return model, X, dy, grads, expected


def training_step(model, X, dy):
    model.zero_grad()
    model(X)
    model.backward(dy)
    return [p.grad.copy() for p in model.parameters()]


def problems_of(predict):
    """What goes wrong in the two forced interleavings when other threads predict with `predict(model, X)`."""
    problems = []
    # 1. A prediction between the trainer's forward and its backward.
    model, X, dy, grads, expected = new_case()
    model.zero_grad()
    model(X)
    predicted = in_thread(lambda: predict(model, X))
    try:
        model.backward(dy)
        if not all(np.allclose(p.grad, g) for p, g in zip(model.parameters(), grads)):
            problems.append("a prediction in between changed the trainer's gradients")
    except RuntimeError as error:
        problems.append(f"the trainer's backward failed: {error}")
    if isinstance(predicted, Exception) or not np.allclose(predicted, expected):
        problems.append(f"the prediction was wrong: {predicted!r:.80}")
    # 2. A training step while the prediction is halfway through the model.
    model, X, dy, grads, expected = new_case()
    seen = {}

    def predict_and_train_halfway():
        Pause.hooks[threading.get_ident()] = lambda: seen.update(grads=in_thread(lambda: training_step(model, X, dy)))
        return predict(model, X)

    predicted = in_thread(predict_and_train_halfway)
    if isinstance(seen["grads"], Exception):
        problems.append(f"the training step failed: {seen['grads']}")
    elif not all(np.allclose(a, b) for a, b in zip(seen["grads"], grads)):
        problems.append("a training step during a prediction got wrong gradients")
    if isinstance(predicted, Exception) or not np.allclose(predicted, expected):
        problems.append(f"the prediction was wrong: {predicted!r:.80}")
    if not all(layer.training for layer in model.all_layers()):
        problems.append("the model was left in eval mode")
    return problems


def flipping_predict(model, X):
    """The broken twin: tinygraph 0.1's predict, which set every layer to eval, ran the model and set them back."""
    modes = [(layer, layer.training) for layer in model.all_layers()]
    model.eval()
    try:
        return model(X)
    finally:
        for layer, training in modes:
            layer.training = training


def test_predict_from_another_thread_leaves_training_alone_in_either_order():
    assert problems_of(lambda model, X: model.predict(X)) == []
    assert problems_of(lambda model, X: model.predict(X, batch_size=5)) == []
    problems = problems_of(flipping_predict)
    assert problems[0] == "a prediction in between changed the trainer's gradients"
    assert problems[1].startswith("the training step failed: Sequential(") and "another thread runs its forward" in problems[1]


def test_evaluate_from_another_thread_with_the_trainers_own_loss_object():
    model, X, dy, grads, expected = new_case()
    loss, target = tg.MSE(), np.zeros((16, 2))
    model.zero_grad()
    value = loss(model(X), target)
    results = in_thread(lambda: tg.evaluate(model, loss, X, target))
    model.backward(loss.backward())
    model.zero_grad()
    loss(model(X), target)
    model.backward(loss.backward())
    reference = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    assert loss(model(X), target) == value
    in_thread(lambda: tg.evaluate(model, loss, X, target))  # between the loss's forward and its backward
    model.backward(loss.backward())
    assert all(np.array_equal(p.grad, g) for p, g in zip(model.parameters(), reference))
    assert results["loss"] == pytest.approx(float(np.mean(expected**2)))


def test_threads_that_predict_while_one_trains_all_get_right_answers():
    model, X, dy, grads, expected = new_case()
    wrong = []

    def train():
        for _ in range(200):
            try:
                if not all(np.allclose(a, b) for a, b in zip(training_step(model, X, dy), grads)):
                    wrong.append("gradient")
            except RuntimeError as error:
                wrong.append(str(error))

    def predict():
        for _ in range(200):
            if not np.allclose(model.predict(X), expected):
                wrong.append("prediction")

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=f) for f in (train, predict, predict)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(interval)
    assert wrong == [] and all(layer.training for layer in model.all_layers())


def test_a_thread_that_calls_a_layer_inside_another_threads_forward_is_refused():
    entered, release = threading.Event(), threading.Event()

    class Slow(tg.Layer):
        def forward(self, x):
            if threading.current_thread() is not threading.main_thread():
                entered.set()
                release.wait(10)
            self.save_for_backward(None)
            return x

        def backward(self, dy):
            return dy

    slow = Slow()
    worker = threading.Thread(target=lambda: slow(np.ones((2, 2))))
    worker.start()
    entered.wait(10)
    try:
        with pytest.raises(RuntimeError, match="Slow: called while another thread runs its forward; a model is trained"):
            slow(np.ones((2, 2)))
        np.testing.assert_array_equal(slow.predict(np.ones((2, 2))), np.ones((2, 2)))  # inference may
    finally:
        release.set()
        worker.join(10)
    slow.backward(np.ones((2, 2)))  # the worker's call is intact
