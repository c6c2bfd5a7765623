"""Training progress: a live bar on a terminal, one line per epoch anywhere else (logs, CI), or nothing."""

import sys
import time


class Progress:
    """Reports `fit`'s progress to `stream` (standard output by default).

    On a terminal the current epoch's bar is redrawn in place (at most ten times a second) and replaced
    by the epoch's summary line when it ends; otherwise only the summary lines are written, one per epoch.
    """

    def __init__(self, epochs, steps, enabled=True, stream=None):
        self.epochs, self.steps, self.enabled = epochs, steps, enabled
        self.stream = stream if stream is not None else sys.stdout
        self.live = enabled and _is_terminal(self.stream)
        self.epoch_start = self.last_draw = time.perf_counter()

    def start_epoch(self):
        self.epoch_start = time.perf_counter()

    def update(self, epoch, step, loss):
        """After `step` (0-based) of `epoch`, with the running mean loss (only drawn on a terminal)."""
        if not self.live:
            return
        now = time.perf_counter()
        if now - self.last_draw < 0.1 and step + 1 < self.steps:
            return
        self.last_draw = now
        done = (step + 1) * 30 // self.steps
        bar = "=" * done + "." * (30 - done)
        self.stream.write(f"\r{self.epoch_label(epoch)}  [{bar}] {step + 1}/{self.steps}  loss {loss:.4f}")
        self.stream.flush()

    def end_epoch(self, epoch, logs):
        if not self.enabled:
            return
        seconds = time.perf_counter() - self.epoch_start
        values = "  ".join(f"{name} {value:.4g}" if name == "lr" else f"{name} {value:.4f}" for name, value in logs.items())
        line = f"{self.epoch_label(epoch)}  {seconds:6.2f}s  {values}"
        self.stream.write(("\r\033[K" if self.live else "") + line + "\n")
        self.stream.flush()

    def epoch_label(self, epoch):
        width = len(str(self.epochs))
        return f"epoch {epoch + 1:{width}d}/{self.epochs}"


def _is_terminal(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False
