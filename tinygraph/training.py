"""Training with a few lines: `fit` and `evaluate`.

`fit` is the loop every example writes by hand, once, with the checks a user would forget. Read it
top down: `fit` checks its arguments and runs epochs; `train_epoch` is the loop over mini-batches,

    for each mini-batch (xb, tb):    optimizer.zero_grad()
                                     value = loss(model(xb), tb)
                                     model.backward(loss.backward())
                                     optimizer.step()

and `keep_finite_weights` is what happens when training diverges.
"""

import math

import numpy as np

from . import checks
from .callbacks import History, as_callbacks
from .init import as_rng
from .metrics import accuracy_for
from .progress import Progress


def fit(model, loss, optimizer, X, target, *, epochs, batch_size=32, shuffle=True, seed=None,
        validation_data=None, callbacks=(), progress=True):
    """Train `model` on `(X, target)` with mini-batch gradient descent; return a `History`.

    X: `(n_samples, ...)`; target: as `loss` expects it (`(n_samples, n_out)`, or labels `(n_samples,)`
    for `SoftmaxCrossEntropy`). Each epoch visits every sample once, in an order shuffled by `seed`
    (the same seed gives the same run, bit for bit), in batches of `batch_size`; the last batch keeps
    the remainder. `history.history["loss"]` is the mean training loss of each epoch, `"accuracy"` is
    added for `SoftmaxCrossEntropy` and `BinaryCrossEntropy`, and `"val_loss"` / `"val_accuracy"` when
    `validation_data=(X_val, target_val)` is given (evaluated in eval mode).

    `callbacks` are `Callback` objects or plain functions `f(epoch, logs)`; any of them returning True
    stops training. `progress` (True, False or a text stream; True means standard output) shows a
    live bar on a terminal and one line per epoch otherwise.

    NaN or Inf in the data is refused before training starts (the message names the first bad row).
    Training runs with NumPy's floating-point errors raised (`np.errstate`, for the loop only), so an
    overflow, or a loss that becomes NaN or Inf, stops `fit` at once with `FloatingPointError` naming
    the epoch and step. The model keeps its weights if they are finite, and otherwise gets back those
    it had when that epoch began: no training run ends with a model full of NaN.
    """
    epochs = checks.integer("fit", "epochs", epochs, minimum=0)
    batch_size = checks.integer("fit", "batch_size", batch_size)
    X, target = check_data(model, X, target, "X", "target")
    if validation_data is not None:
        try:
            X_val, target_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("fit: validation_data must be a pair (X_val, target_val)") from None
        validation_data = check_data(model, X_val, target_val, "validation X", "validation target")
    for name, p in model.named_parameters():
        if not np.isfinite(p.value).all():
            raise ValueError(f"fit: the model's parameter {name!r} holds NaN or Inf; reinitialise or reload it first")
    rng = as_rng(seed)
    callbacks = as_callbacks(callbacks)
    bar = Progress(epochs, math.ceil(len(X) / batch_size), enabled=bool(progress),
                   stream=progress if hasattr(progress, "write") else None)
    history = History()
    for callback in callbacks:
        callback.on_train_begin(model)
    try:
        for epoch in range(epochs):
            order = rng.permutation(len(X)) if shuffle else slice(None)
            logs = train_epoch(model, loss, optimizer, X[order], target[order], batch_size, epoch, bar)
            if validation_data is not None:
                logs.update({f"val_{k}": v for k, v in evaluate_checked(model, loss, *validation_data, batch_size).items()})
            history.append(epoch, logs)
            bar.end_epoch(epoch, logs)
            stop = [callback.on_epoch_end(epoch, logs) for callback in callbacks]  # every callback sees the epoch
            if any(stop):
                break
    finally:
        for callback in callbacks:
            callback.on_train_end(model)
    return history


def train_epoch(model, loss, optimizer, X, target, batch_size, epoch, bar):
    """One pass over `(X, target)` in order, in mini-batches; return the epoch's mean loss (and accuracy)."""
    model.train()
    accuracy = accuracy_for(loss)
    n_samples = len(X)
    steps = math.ceil(n_samples / batch_size)
    start_of_epoch = model.state_dict()
    total_loss = total_correct = 0.0
    step = 0
    bar.start_epoch()
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):  # this block only
            for step in range(steps):
                batch = slice(step * batch_size, (step + 1) * batch_size)
                xb, tb = X[batch], target[batch]
                optimizer.zero_grad()
                pred = model(xb, needs_dx=False)  # nobody needs the gradient of the data
                value = loss(pred, tb)
                if not math.isfinite(value):
                    raise FloatingPointError(f"the loss became {value}")
                model.backward(loss.backward())
                optimizer.step()
                total_loss += value * len(xb)
                if accuracy:
                    total_correct += accuracy(pred, tb) * len(xb)
                if bar.live:
                    bar.update(epoch, step, total_loss / min(n_samples, (step + 1) * batch_size))
    except FloatingPointError as error:
        keep_finite_weights(model, start_of_epoch)
        raise FloatingPointError(
            f"fit: {error} at epoch {epoch + 1}, step {step + 1} of {steps}; training stopped and the "
            "model keeps its last finite weights (try a smaller learning rate, or check the data)"
        ) from error
    logs = {"loss": total_loss / n_samples}
    if accuracy:
        logs["accuracy"] = total_correct / n_samples
    return logs


def keep_finite_weights(model, fallback):
    """Give `model` back the weights of `fallback` (a state dict) unless all of its own are finite."""
    if not all(np.isfinite(p.value).all() for p in model.parameters()):
        model.load_state_dict(fallback)


def evaluate(model, loss, X, target, *, batch_size=None):
    """Return `{"loss": ..., "accuracy": ...}` for the whole of `(X, target)`, in eval mode.

    The loss is computed once on all predictions (made in batches of `batch_size`); accuracy is only
    reported for `SoftmaxCrossEntropy` and `BinaryCrossEntropy`.
    """
    X, target = check_data(model, X, target, "X", "target")
    return evaluate_checked(model, loss, X, target, batch_size)


def evaluate_checked(model, loss, X, target, batch_size):
    """`evaluate` on data `check_data` already accepted (fit checks its validation data once)."""
    pred = model.predict(X, batch_size=batch_size)
    results = {"loss": loss(pred, target)}
    accuracy = accuracy_for(loss)
    if accuracy:
        results["accuracy"] = accuracy(pred, target)
    return results


def check_data(model, X, target, x_name, target_name):
    """`X` (and float targets) cast to the model's dtype; refused if not finite or of unequal length.

    Integer `X` stays integer: it may be indices for an `Embedding`, and a float layer casts each batch.
    """
    X = np.asarray(X)
    if X.dtype.kind not in "iu":
        X = checks.as_numeric(X, model.dtype, f"fit: {x_name}")
    target = np.asarray(target)
    if target.dtype.kind not in "iu":  # integer labels stay integers; other targets take the model's dtype
        target = checks.as_numeric(target, model.dtype, f"fit: {target_name}")
    if X.ndim < 2:
        raise ValueError(f"fit: {x_name} must have a batch axis, (n_samples, ...), got shape {X.shape}")
    if target.ndim == 0 or len(target) != len(X):
        raise ValueError(
            f"fit: {x_name} has {len(X)} samples but {target_name} has shape {target.shape}; they must have as many rows"
        )
    if len(X) == 0:
        raise ValueError(f"fit: {x_name} has no samples")
    for name, values in ((x_name, X), (target_name, target)):
        if values.dtype.kind == "f":
            finite = np.isfinite(values.reshape(len(values), -1)).all(axis=1)
            if not finite.all():
                row = int(np.argmin(finite))
                raise ValueError(f"fit: {name} contains NaN or Inf, first in row {row}: {values[row]}")
    return X, target
