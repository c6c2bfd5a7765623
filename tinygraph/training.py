"""Training with a few lines: `fit`, `evaluate`, `History` and the callbacks `EarlyStopping` and `EpochHook`.

`fit` is the loop every example writes by hand, once, with the checks a user would forget:

    for each epoch:           shuffle (seeded), then for each mini-batch (the last one may be smaller):
        optimizer.zero_grad(); value = loss(model(xb), yb); model.backward(loss.backward(), need_dx=False); optimizer.step()
"""

import math

import numpy as np

from .core import as_numeric, run_backward
from .init import as_rng
from .losses import BinaryCrossEntropy, SoftmaxCrossEntropy
from .optim import check_hyper
from .progress import Progress


class History:
    """What `fit` recorded: `history` maps each metric to one value per epoch; `epoch` lists the epochs (0-based)."""

    def __init__(self):
        self.history = {}
        self.epoch = []

    def append(self, epoch, logs):
        self.epoch.append(epoch)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)

    def __repr__(self):
        return f"History({len(self.epoch)} epochs: {', '.join(self.history)})"


def fit(model, loss, optimizer, X, y, *, epochs, batch_size=32, shuffle=True, seed=None,
        validation_data=None, callbacks=(), progress=True):
    """Train `model` on `(X, y)` with mini-batch gradient descent; return a `History`.

    X: `(n_samples, n_in)`; y: targets as `loss` expects them (`(n_samples, n_out)`, or labels
    `(n_samples,)` for `SoftmaxCrossEntropy`). Each epoch visits every sample once, in an order shuffled
    by `seed` (the same seed gives the same run, bit for bit), in batches of `batch_size`; the last
    batch keeps the remainder. `history.history["loss"]` is the mean training loss of each epoch,
    `"accuracy"` is added for `SoftmaxCrossEntropy` and `BinaryCrossEntropy`, and `"val_loss"` /
    `"val_accuracy"` when `validation_data=(X_val, y_val)` is given (evaluated in eval mode).

    `callbacks` are `Callback` objects or plain functions `f(epoch, logs)`; any of them returning True
    stops training. `progress` (True, False or a text stream; True means standard output) shows a
    live bar on a terminal and one line per epoch otherwise.

    NaN or Inf in the data is refused before training starts (the message names the first bad row).
    Training runs with NumPy's floating-point errors raised (`np.errstate`, for the loop only), so an
    overflow, or a loss that becomes NaN or Inf, stops `fit` at once with `FloatingPointError` naming
    the epoch and step. The model keeps its weights if they are finite, and otherwise gets back those
    it had when that epoch began: no training run ends with a model full of NaN.
    """
    epochs = _count("epochs", epochs, minimum=0)
    batch_size = _count("batch_size", batch_size, minimum=1)
    X, y = check_data(model, X, y, "X", "y")
    if validation_data is not None:
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("fit: validation_data must be a pair (X_val, y_val)") from None
        X_val, y_val = check_data(model, X_val, y_val, "validation X", "validation y")
    for name, p in model.named_parameters():
        if not np.isfinite(p.value).all():
            raise ValueError(f"fit: the model's parameter {name!r} holds NaN or Inf; reinitialise or reload it first")
    rng = as_rng(seed)
    if isinstance(callbacks, Callback) or callable(callbacks):
        callbacks = [callbacks]  # one callback passed on its own
    callbacks = [c if isinstance(c, Callback) else EpochHook(c) for c in callbacks]
    accuracy = accuracy_for(loss)
    n_samples = len(X)
    steps = math.ceil(n_samples / batch_size)
    bar = Progress(epochs, steps, enabled=bool(progress), stream=progress if hasattr(progress, "write") else None)
    history = History()
    for callback in callbacks:
        callback.on_train_begin(model)
    try:
        for epoch in range(epochs):
            model.train()
            bar.start_epoch()
            order = rng.permutation(n_samples) if shuffle else slice(None)
            X_epoch, y_epoch = X[order], y[order]  # shuffled once, so that each batch is a slice, not a copy
            start_of_epoch = model.state_dict()
            total_loss, total_correct = 0.0, 0.0
            step = 0
            try:
                with np.errstate(over="raise", invalid="raise", divide="raise"):  # this block only
                    for step in range(steps):
                        batch = slice(step * batch_size, (step + 1) * batch_size)
                        xb, yb = X_epoch[batch], y_epoch[batch]
                        optimizer.zero_grad()
                        pred = model(xb)
                        value = loss(pred, yb)
                        if not math.isfinite(value):
                            raise FloatingPointError(f"the loss became {value}")
                        run_backward(model, loss.backward(), need_dx=False)  # nobody needs dL/dX
                        optimizer.step()
                        total_loss += value * len(xb)
                        if accuracy:
                            total_correct += accuracy(pred, yb) * len(xb)
                        if bar.live:
                            bar.update(epoch, step, total_loss / min(n_samples, (step + 1) * batch_size))
            except FloatingPointError as error:
                _keep_finite_weights(model, start_of_epoch)
                raise FloatingPointError(
                    f"fit: {error} at epoch {epoch + 1}, step {step + 1} of {steps}; training stopped and the "
                    "model keeps its last finite weights (try a smaller learning rate, or check the data)"
                ) from error
            logs = {"loss": total_loss / n_samples}
            if accuracy:
                logs["accuracy"] = total_correct / n_samples
            if validation_data is not None:
                logs.update({f"val_{k}": v for k, v in _evaluate(model, loss, X_val, y_val, batch_size).items()})
            history.append(epoch, logs)
            bar.end_epoch(epoch, logs)
            stop = [callback.on_epoch_end(epoch, logs) for callback in callbacks]
            if any(stop):
                break
    finally:
        for callback in callbacks:
            callback.on_train_end(model)
    return history


def evaluate(model, loss, X, y, *, batch_size=None):
    """Return `{"loss": ..., "accuracy": ...}` for the whole of `(X, y)`, in eval mode.

    The loss is computed once on all predictions (made in batches of `batch_size`); accuracy is only
    reported for `SoftmaxCrossEntropy` and `BinaryCrossEntropy`.
    """
    X, y = check_data(model, X, y, "X", "y")
    return _evaluate(model, loss, X, y, batch_size)


def _evaluate(model, loss, X, y, batch_size):
    """`evaluate` on data `check_data` already accepted (fit checks its validation data once)."""
    pred = model.predict(X, batch_size=batch_size)
    results = {"loss": loss(pred, y)}
    accuracy = accuracy_for(loss)
    if accuracy:
        results["accuracy"] = accuracy(pred, y)
    return results


def accuracy_for(loss):
    """The accuracy that goes with `loss`, a function `(pred, target) -> fraction`, or None."""
    if isinstance(loss, SoftmaxCrossEntropy):
        return categorical_accuracy
    if isinstance(loss, BinaryCrossEntropy):
        return binary_accuracy
    return None


def categorical_accuracy(pred, target):
    """Fraction of rows whose largest logit is the label (or the largest target probability)."""
    target = np.asarray(target)
    labels = target.argmax(axis=1) if target.ndim == 2 else target
    return np.count_nonzero(pred.argmax(axis=1) == labels) / len(labels)


def binary_accuracy(pred, target):
    """Fraction of elements on the right side of 0.5."""
    hits = (pred > 0.5) == (np.asarray(target) > 0.5)
    return np.count_nonzero(hits) / hits.size


def check_data(model, X, y, x_name, y_name):
    """`X` (and float targets `y`) cast to the model's dtype; refused if not finite or of unequal length."""
    X = as_numeric(X, model.dtype, f"fit: {x_name}")
    y = np.asarray(y)
    if y.dtype.kind not in "iu":  # integer labels stay integers; other targets take the model's dtype
        y = as_numeric(y, model.dtype, f"fit: {y_name}")
    if X.ndim != 2:
        raise ValueError(f"fit: {x_name} must be 2-D (n_samples, n_features), got shape {X.shape}")
    if y.ndim == 0 or len(y) != len(X):
        raise ValueError(f"fit: {x_name} has {len(X)} samples but {y_name} has shape {y.shape}; they must have as many rows")
    if len(X) == 0:
        raise ValueError(f"fit: {x_name} has no samples")
    for name, values in ((x_name, X), (y_name, y)):
        if values.dtype.kind == "f":
            finite = np.isfinite(values.reshape(len(values), -1)).all(axis=1)
            if not finite.all():
                row = int(np.argmin(finite))
                raise ValueError(f"fit: {name} contains NaN or Inf, first in row {row}: {values[row]}")
    return X, y


def _count(name, value, minimum):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"fit: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _keep_finite_weights(model, fallback):
    if not all(np.isfinite(p.value).all() for p in model.parameters()):
        model.load_state_dict(fallback)


class Callback:
    """Hooks `fit` calls: `on_train_begin(model)`, `on_epoch_end(epoch, logs)` (return True to stop),
    and `on_train_end(model)`, which runs however training ends (finished, stopped or failed)."""

    def on_train_begin(self, model):
        pass

    def on_epoch_end(self, epoch, logs):
        return False

    def on_train_end(self, model):
        pass


class EpochHook(Callback):
    """Call `function(epoch, logs)` after every epoch; if it returns True, training stops."""

    def __init__(self, function):
        if not callable(function):
            raise TypeError(f"EpochHook: expected a function f(epoch, logs), got {type(function).__name__}")
        self.function = function

    def on_epoch_end(self, epoch, logs):
        return bool(self.function(epoch, logs))


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved for `patience` epochs; then restore the best weights.

    `mode` is "min", "max" or "auto" (max for names containing "accuracy", else min); an improvement must
    beat the best value by more than `min_delta`. With `restore_best_weights` (the default) the model
    gets back the weights of its best epoch however training ended: stopped early, epochs used up, or
    an error. `best_epoch`, `best` and `stopped_epoch` (None if it never stopped) tell what happened.
    """

    def __init__(self, monitor="val_loss", patience=0, restore_best_weights=True, min_delta=0.0, mode="auto"):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        self.min_delta = check_hyper(self, "min_delta", min_delta, low=0.0)
        self.monitor, self.patience = monitor, int(patience)
        self.restore_best_weights = restore_best_weights
        self.sign = -1.0 if mode == "max" or (mode == "auto" and "accuracy" in monitor) else 1.0

    def on_train_begin(self, model):
        self.model = model
        self.best, self.best_epoch, self.best_weights = None, None, None
        self.wait, self.stopped_epoch = 0, None

    def on_epoch_end(self, epoch, logs):
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping: monitor {self.monitor!r} is not among the logged values {sorted(logs)}"
                + (" (pass validation_data to fit)" if self.monitor.startswith("val_") else "")
            )
        value = logs[self.monitor]
        if self.best is None or self.sign * (value - self.best) < -self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, model):
        if self.restore_best_weights and self.best_weights is not None:
            model.load_state_dict(self.best_weights)
