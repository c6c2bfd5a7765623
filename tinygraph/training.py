"""Training with a few lines: `fit` and `evaluate`.

`fit` is the loop every example writes by hand, once, with the checks a user would forget. Read it
top down: `fit` checks its arguments and runs epochs; `train_epoch` is the loop over mini-batches,

    for each mini-batch (xb, tb):    optimizer.zero_grad()
                                     value = loss(model(*xb), tb)     # xb: one array per input
                                     model.backward(loss.backward())
                                     optimizer.step()

and `keep_finite_weights` is what happens when training diverges.
"""

import math

import numpy as np

from . import checks
from .callbacks import History, as_callbacks, begin_training, end_training
from .data import check_data, check_reduced, check_target_fits  # explain takes check_data from here
from .inference import inference
from .init import as_rng
from .layer import Layer
from .losses import Loss
from .metrics import accuracy_for, plain
from .optim import Optimizer
from .progress import Progress
from .schedules import Schedule


def fit(model, loss, optimizer, X, target, *, epochs, batch_size=32, shuffle=True, seed=None,
        validation_data=None, callbacks=(), progress=True, schedule=None):
    """Train `model` on `(X, target)` with mini-batch gradient descent; return a `History`.

    X: `(n_samples, ...)`, or a tuple of such arrays for a model of several inputs (a `Graph`, in the
    order of its inputs); target: as `loss` expects it (`(n_samples, n_out)`, or labels `(n_samples,)`
    for `SoftmaxCrossEntropy`). The model must have one output (for several, write the loop). Each epoch visits every sample once, in an order shuffled by `seed`
    (the same seed gives the same run, bit for bit), in batches of `batch_size`; the last batch keeps
    the remainder. `history.history["loss"]` is the mean training loss of each epoch, `"accuracy"` is
    added for `SoftmaxCrossEntropy`, `BinaryCrossEntropy` and `BCEWithLogits`, and `"val_loss"` / `"val_accuracy"` when
    `validation_data=(X_val, target_val)` is given (evaluated in eval mode). A loss reduced by "sum"
    logs the sum over the epoch's batches (the training set's total, as `evaluate` would give it).
    `schedule` (from `tinygraph.schedules`, made on `optimizer`) is stepped after each epoch, and
    `"lr"` logs the rate each epoch trained with. Every logged value is a plain Python float. A loss with `reduction="none"` is refused: training
    needs one number per batch.

    Epochs are counted from 1, as the log prints them: `history.epoch` is `[1, 2, ...]` and callbacks get
    `epoch=1` after the first. `callbacks` are `Callback` objects or plain functions `f(epoch, logs)`; any
    of them returning True stops training, and a text returned by a callback's `on_train_end` is logged.
    `progress` (True, False or a text stream; True means standard output) writes one line per epoch,
    and while an epoch runs a tqdm bar on a terminal (a widget in Jupyter).

    NaN or Inf in the data is refused before training starts (the message names the first bad row), and
    so is a target the loss cannot compare with the model's output (a target `(n,)` for an output `(n, 1)`):
    the model predicts the first batch once, in inference mode, and the loss is tried on that output, as
    wide as the data, and the whole target (`data.check_target_fits`).
    Training runs with NumPy's floating-point errors raised (`np.errstate`, for the loop only), so an
    overflow, or a loss that becomes NaN or Inf, stops `fit` at once with `FloatingPointError` naming
    the epoch and step; and since a trap can miss an overflow (inside a multi-threaded BLAS call), the
    weights themselves are checked after every epoch. The model keeps its weights if they are finite,
    and otherwise gets back those it had when that epoch began: no training run ends with NaN or Inf.
    """
    check_parts(model, loss, optimizer)
    epochs = checks.integer("fit", "epochs", epochs, minimum=0)
    batch_size = checks.integer("fit", "batch_size", batch_size)
    if getattr(model, "n_outputs", 1) != 1:
        raise ValueError(f"fit: the model has {model.n_outputs} outputs; fit trains a model of one output "
                         "(for several, write the training loop: docs/graphs.md shows one)")
    check_reduced("fit", loss)
    if schedule is not None and not isinstance(schedule, Schedule):
        raise TypeError(f"fit: schedule must be a schedule from tinygraph.schedules, got {checks.describe(schedule)}")
    if schedule is not None and schedule.optimizer is not optimizer:
        raise ValueError(f"fit: the schedule {schedule!r} steps another optimizer than the one fit trains with")
    X, target = check_data(model, X, target, "X", "target")
    if validation_data is not None:
        try:
            X_val, target_val = validation_data
        except (TypeError, ValueError):
            raise ValueError("fit: validation_data must be a pair (X_val, target_val)") from None
        validation_data = check_data(model, X_val, target_val, "validation X", "validation target")
    check_finite_parameters(model, "fit")
    check_target_fits(model, loss, X, target, "target", batch_size)
    if validation_data is not None:
        check_target_fits(model, loss, *validation_data, "validation target", batch_size)
    rng = as_rng(seed, "fit", "seed")
    callbacks = as_callbacks(callbacks)
    bar = Progress(epochs, math.ceil(len(target) / batch_size), enabled=bool(progress),
                   stream=progress if hasattr(progress, "write") else None)
    history = History()
    callbacks = begin_training(callbacks, model, say=bar.write)
    try:
        for epoch in range(1, epochs + 1):
            order = rng.permutation(len(target)) if shuffle else slice(None)
            logs = train_epoch(model, loss, optimizer, tuple(x[order] for x in X), target[order], batch_size, epoch, bar)
            if validation_data is not None:
                logs.update({f"val_{k}": v for k, v in evaluate_checked(model, loss, *validation_data, batch_size).items()})
            if schedule is not None:
                logs["lr"] = optimizer.lr  # the rate this epoch trained with
                schedule.step()
            logs = plain(logs)
            history.append(epoch, logs)
            bar.end_epoch(epoch, logs)
            stop = [callback.on_epoch_end(epoch, logs) for callback in callbacks]  # every callback sees the epoch
            if any(stop):
                break
    finally:
        bar.close()
        end_training(callbacks, model, say=bar.write)
    return history


def check_parts(model, loss, optimizer):
    """Refuse, before anything runs, a model, loss or optimizer that is not one, or an optimizer of another model."""
    parts = (("model", model, Layer, "a tinygraph Layer"), ("loss", loss, Loss, "a Loss such as tg.MSE()"),
             ("optimizer", optimizer, Optimizer, "an Optimizer such as tg.SGD(...)"))
    for name, value, cls, example in parts:
        if not isinstance(value, cls):
            raise TypeError(f"fit: {name} must be {example}, got {checks.describe(value)}")
    ours = {id(p) for p in model.parameters()}
    if not any(id(p) in ours for p in optimizer.params):
        raise ValueError(
            f"fit: the optimizer holds none of the model's parameters, so training would change nothing (was it "
            f"built on another model's? build it with {type(optimizer).__name__}(model.parameters(), ...))"
        )


def not_finite(model):
    """The name of the first parameter or buffer of `model` holding NaN or Inf, or None."""
    for name, p in model.named_parameters():
        if not np.isfinite(p.value).all():
            return f"parameter {name!r}"
    for name, array in model.named_buffers():
        if not np.isfinite(array).all():
            return f"buffer {name!r}"
    return None


def train_epoch(model, loss, optimizer, X, target, batch_size, epoch, bar):
    """One pass over `(X, target)` in order, in mini-batches; return the epoch's mean loss (and accuracy).

    `X` is a tuple of arrays, one per input of the model (one, for most models)."""
    model.train()
    accuracy = accuracy_for(loss)
    n_samples = len(target)
    steps = math.ceil(n_samples / batch_size)
    start_of_epoch = model.state_dict()
    total_loss = total_correct = 0.0
    per_sample = getattr(loss, "reduction", "mean") != "sum"  # a batch's mean counts once per sample; a sum as is
    step = 0
    bar.start_epoch(epoch)
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):  # this block only
            for step in range(steps):
                batch = slice(step * batch_size, (step + 1) * batch_size)
                xb, tb = [x[batch] for x in X], target[batch]
                optimizer.zero_grad()
                pred = model(*xb, needs_dx=False)  # nobody needs the gradient of the data
                value = loss(pred, tb)
                if not math.isfinite(value):
                    raise FloatingPointError(f"the loss became {value}")
                model.backward(loss.backward())
                optimizer.step()
                total_loss += value * len(tb) if per_sample else value
                if accuracy:
                    total_correct += accuracy(pred, tb) * len(tb)
                if bar.live:
                    seen = min(n_samples, (step + 1) * batch_size)
                    bar.update(total_loss / seen if per_sample else total_loss)
            bad = not_finite(model)  # an overflow the traps did not see (in a BLAS thread) shows here
            if bad:
                raise FloatingPointError(f"the model's {bad} became NaN or Inf (found at the end of the epoch)")
    except FloatingPointError as error:
        keep_finite_weights(model, start_of_epoch)
        raise FloatingPointError(
            f"fit: {error} at epoch {epoch}, step {step + 1} of {steps}; training stopped and the "
            "model keeps its last finite weights (try a smaller learning rate, or check the data)"
        ) from error
    logs = {"loss": total_loss / n_samples if per_sample else total_loss}
    if accuracy:
        logs["accuracy"] = total_correct / n_samples
    return logs


def check_finite_parameters(model, owner):
    """`ValueError` naming the first parameter or buffer of `model` that holds NaN or Inf: training cannot start."""
    bad = not_finite(model)
    if bad:
        raise ValueError(f"{owner}: the model's {bad} holds NaN or Inf; reinitialise or reload it first")


def keep_finite_weights(model, fallback):
    """Give `model` back the weights of `fallback` (a state dict) unless all of its own are finite."""
    if not_finite(model):
        model.load_state_dict(fallback)


def evaluate(model, loss, X, target, *, batch_size=None):
    """Return `{"loss": ..., "accuracy": ...}` (plain floats) for the whole of `(X, target)`, in eval mode.

    The loss is computed once on all predictions (made in batches of `batch_size`); accuracy is only
    reported for `SoftmaxCrossEntropy`, `BinaryCrossEntropy` and `BCEWithLogits`. A loss with
    `reduction="none"` is refused.
    """
    check_reduced("evaluate", loss)
    X, target = check_data(model, X, target, "X", "target")
    return evaluate_checked(model, loss, X, target, batch_size)


def evaluate_checked(model, loss, X, target, batch_size):
    """`evaluate` on data `check_data` already accepted (fit checks its validation data once)."""
    with inference():  # nothing kept for a backward: other threads may evaluate while one trains
        pred = model.predict(X if len(X) > 1 else X[0], batch_size=batch_size)
        results = {"loss": loss(pred, target)}
    accuracy = accuracy_for(loss)
    if accuracy:
        results["accuracy"] = accuracy(pred, target)
    return plain(results)
