"""Training progress through tqdm: a bar on a terminal, a widget in Jupyter, one line per epoch in a log.

`fit` tells a `Progress` when each epoch starts, after each step, and when the epoch ends. While an
epoch runs, a `tqdm.auto` bar counts its steps and shows the running loss, wherever tqdm can draw one:
on a terminal, and as a widget in a Jupyter notebook. When the epoch ends its bar goes away and one
summary line stays, the same everywhere:

    epoch  3/10    0.41s  loss 0.1190  accuracy 0.9650  val_loss 0.1432  val_accuracy 0.9554

Off a terminal (a log file, CI, a pipe) tqdm draws nothing (`disable=None`), so those lines are all
there is. tqdm is imported when the first bar is made, so `import tinygraph` does not pay for it.
"""

import sys
import time


class Progress:
    """Reports `fit`'s progress to `stream` (standard output by default), or nothing if not `enabled`.

    `live` is True while an epoch's bar is drawn: only then does `fit` compute the running loss for it.
    """

    def __init__(self, epochs, steps, enabled=True, stream=None):
        self.epochs, self.steps, self.enabled = epochs, steps, enabled
        self.stream = stream if stream is not None else sys.stdout
        self.bar, self.live = None, False
        self.epoch_start = time.perf_counter()

    def start_epoch(self, epoch):
        """Before the first step of `epoch` (counted from 1)."""
        self.epoch_start = time.perf_counter()
        if not self.enabled:
            return
        from tqdm.auto import tqdm  # the terminal's bar, or the notebook's widget

        self.bar = tqdm(total=self.steps, desc=self.epoch_label(epoch), file=self.stream, leave=False, disable=None,
                        unit="batch", dynamic_ncols=True)
        self.live = not self.bar.disable

    def update(self, loss):
        """After a step, with the epoch's running mean loss (called only while `live`)."""
        self.bar.set_postfix_str(f"loss {loss:.4f}", refresh=False)
        self.bar.update()

    def end_epoch(self, epoch, logs):
        """Take the bar away and write the epoch's summary line: its number, duration and every logged value."""
        self.close()
        if not self.enabled:
            return
        seconds = time.perf_counter() - self.epoch_start
        values = "  ".join(f"{name} {value:.4g}" if name == "lr" else f"{name} {value:.4f}" for name, value in logs.items())
        self.write(f"{self.epoch_label(epoch)}  {seconds:6.2f}s  {values}")

    def write(self, line):
        """One line of the log (a callback's message too); nothing if progress is off."""
        if self.enabled:
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self):
        """Take the current bar away, if there is one (also when training stops with an error)."""
        if self.bar is not None:
            self.bar.close()
            self.bar, self.live = None, False

    def epoch_label(self, epoch):
        width = len(str(self.epochs))
        return f"epoch {epoch:{width}d}/{self.epochs}"
