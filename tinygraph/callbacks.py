"""What `fit` reports to and asks: `History`, and the callbacks `Callback`, `EpochHook`, `EarlyStopping`."""

from . import checks


class History:
    """What `fit` recorded: `history` maps each metric to one value per epoch (a float); `epoch` lists the
    epochs, counted from 1 as the log prints them."""

    def __init__(self):
        self.history = {}
        self.epoch = []

    def append(self, epoch, logs):
        self.epoch.append(epoch)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(value)

    def __repr__(self):
        return f"History({len(self.epoch)} epochs: {', '.join(self.history)})"


class Callback:
    """Hooks `fit` calls: `on_train_begin(model)`, `on_epoch_end(epoch, logs)` (`epoch` counted from 1;
    return True to stop), and `on_train_end(model)`, which runs once however training ends (finished,
    stopped or failed), for every callback whose `on_train_begin` returned, even if another callback's
    hook raised. A text `on_train_end` returns is written to `fit`'s log (one or more lines)."""

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


def as_callbacks(callbacks):
    """`callbacks` as a list of `Callback` objects: one callback or function on its own, or a list of them."""
    if isinstance(callbacks, Callback) or (callable(callbacks) and not isinstance(callbacks, type)):
        callbacks = [callbacks]
    if isinstance(callbacks, (str, bytes, dict)) or not hasattr(callbacks, "__iter__"):
        raise TypeError(f"fit: callbacks must be a Callback, a function f(epoch, logs) or a list of them, "
                        f"got {checks.describe(callbacks)}")
    callbacks = list(callbacks)
    for i, callback in enumerate(callbacks):
        if isinstance(callback, type) or not (isinstance(callback, Callback) or callable(callback)):
            raise TypeError(f"fit: callbacks[{i}] must be a Callback or a function f(epoch, logs), got {checks.describe(callback)}")
    return [c if isinstance(c, Callback) else EpochHook(c) for c in callbacks]


def begin_training(callbacks, model, say):
    """Call each callback's `on_train_begin`; return them. If one raises, those that began end first
    (`say`: as for `end_training`)."""
    begun = []
    try:
        for callback in callbacks:
            callback.on_train_begin(model)
            begun.append(callback)
    except BaseException:
        end_training(begun, model, say)
        raise
    return begun


def end_training(callbacks, model, say):
    """Call every callback's `on_train_end`, each even if an earlier one raised, and `say` each text one
    returns; then raise the first error."""
    errors = []
    for callback in callbacks:
        try:
            text = callback.on_train_end(model)
            if isinstance(text, str) and text:
                say(text)
        except BaseException as error:  # Ctrl-C too: the others (EarlyStopping's restore) still run
            errors.append(error)
    if errors:
        raise errors[0]


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved for `patience` epochs; then restore the best weights.

    `mode` is "min", "max" or "auto" (max for names containing "accuracy", else min); an improvement must
    beat the best value by more than `min_delta`. With `restore_best_weights` (the default) the model
    gets back the weights of its best epoch however training ended: stopped early, epochs used up, or
    an error. `best_epoch`, `best` and `stopped_epoch` (None if it never stopped) tell what happened,
    epochs counted from 1 as in the log, and so does the log itself (`report`):

        EarlyStopping: stopped after epoch 9: val_loss did not improve on 0.1093 (epoch 6) for 3 epochs
        EarlyStopping: restored the weights of epoch 6 (val_loss 0.1093)
    """

    def __init__(self, monitor="val_loss", patience=0, restore_best_weights=True, min_delta=0.0, mode="auto"):
        mode = checks.choice("EarlyStopping", "mode", mode, ("auto", "min", "max"))
        self.patience = checks.integer("EarlyStopping", "patience", patience, minimum=0)
        self.min_delta = checks.number("EarlyStopping", "min_delta", min_delta, low=0)
        if not isinstance(monitor, str):
            raise TypeError(f"EarlyStopping: monitor must be the name of a logged value such as 'val_loss', "
                            f"got {checks.describe(monitor)}")
        self.monitor = monitor
        self.restore_best_weights = checks.flag("EarlyStopping", "restore_best_weights", restore_best_weights)
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
        """Restore the best weights (if asked); return what happened, for `fit`'s log."""
        restored = self.restore_best_weights and self.best_weights is not None
        if restored:
            model.load_state_dict(self.best_weights)
        return self.report(restored)

    def report(self, restored):
        """The log's lines: whether and when training stopped, and which epoch's weights the model has."""
        lines = []
        if self.stopped_epoch is not None:
            waited = f"{self.wait} epoch" + ("s" if self.wait != 1 else "")
            lines.append(f"EarlyStopping: stopped after epoch {self.stopped_epoch}: {self.monitor} did not improve on "
                         f"{self.best:.4f} (epoch {self.best_epoch}) for {waited}")
        if restored:
            lines.append(f"EarlyStopping: restored the weights of epoch {self.best_epoch} ({self.monitor} {self.best:.4f})")
        elif self.stopped_epoch is not None:
            lines.append(f"EarlyStopping: kept the weights of epoch {self.stopped_epoch}, the last (restore_best_weights=False)")
        return "\n".join(lines)
