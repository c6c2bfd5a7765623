"""fit's progress: tqdm's bar on a terminal, its widget in Jupyter, and the same per-epoch lines everywhere.

Each check is a function run on the real `Progress` and on a broken twin that it must catch.
"""

import io
import re
from importlib.metadata import requires

import numpy as np
import pytest

import tinygraph as tg
from tinygraph import progress


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def data(n=40):
    X = np.random.default_rng(0).standard_normal((n, 3))
    return X, X @ np.array([[1.0], [-2.0], [0.5]])


def run(stream, epochs=3, **options):
    """fit a small regression with progress=stream; return its History."""
    X, y = data()
    net = tg.Sequential(tg.Dense(3, 8, rng=0), tg.Tanh(), tg.Dense(8, 1, rng=1))
    return tg.fit(net, tg.MSE(), tg.SGD(net.parameters(), lr=0.01), X, y, epochs=epochs, batch_size=4, seed=0,
                  progress=stream, **options)


def summary_lines(history, epochs):
    """Patterns of the per-epoch lines as tinygraph 0.1 printed them (only the duration may vary)."""
    width = len(str(epochs))
    lines = []
    for i in range(len(history.epoch)):
        values = "  ".join(f"{name} {values[i]:.4f}" for name, values in history.history.items())
        lines.append(re.escape(f"epoch {i + 1:{width}d}/{epochs}") + r"  ([ \d]{2}\d|\d{4,})\.\d\ds  " + re.escape(values))
    return lines


def assert_one_line_per_epoch(text, history, epochs):
    """Off a terminal: the summary lines, one per epoch, and nothing else (no bar, no carriage return)."""
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) - 1 == len(history.epoch), text
    for line, pattern in zip(lines, summary_lines(history, epochs)):
        assert re.fullmatch(pattern, line), (line, pattern)


def assert_bar_then_line(text, history, epochs):
    """On a terminal: tqdm draws each epoch's bar, clears it, and the summary line is what stays."""
    lines = text.split("\n")
    assert lines[-1] == "" and len(lines) - 1 == len(history.epoch), text
    for line, pattern in zip(lines, summary_lines(history, epochs)):
        drawn, _, kept = line.rpartition("\r")
        assert re.fullmatch(pattern, kept), (kept, pattern)
        assert "batch/s" in drawn and drawn.split("\r")[-1].strip() == "", drawn  # the bar, then blanks over it


class DrawsOffATerminal(progress.Progress):
    """Broken twin: tqdm told to draw wherever it is (disable=False), so a log fills with bars."""

    def start_epoch(self, epoch):
        super().start_epoch(epoch)
        if self.bar is not None:
            self.bar.close()
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.steps, desc=self.epoch_label(epoch), file=self.stream, leave=False,
                            disable=False, unit="batch")
            self.live = True


class LeavesTheBar(progress.Progress):
    """Broken twin: the bar is left on the screen (leave=True) above each summary line."""

    def start_epoch(self, epoch):
        super().start_epoch(epoch)
        if self.live:
            self.bar.leave = True


class DecidesByItself(progress.Progress):
    """Broken twin: decides from `isatty()` whether to draw, as the hand-written bar did, so a notebook
    (whose output is not a terminal) gets no widget."""

    def start_epoch(self, epoch):
        if self.stream.isatty():
            super().start_epoch(epoch)


@pytest.mark.parametrize("twin", [None, DrawsOffATerminal])
def test_off_a_terminal_progress_is_one_line_per_epoch_as_before(monkeypatch, twin):
    if twin:
        monkeypatch.setattr("tinygraph.training.Progress", twin)
    log = io.StringIO()
    history = run(log)
    if twin:
        with pytest.raises(AssertionError):
            assert_one_line_per_epoch(log.getvalue(), history, 3)
    else:
        assert_one_line_per_epoch(log.getvalue(), history, 3)


@pytest.mark.parametrize("twin", [None, LeavesTheBar])
def test_on_a_terminal_tqdm_draws_a_bar_and_the_epoch_line_replaces_it(monkeypatch, twin):
    if twin:
        monkeypatch.setattr("tinygraph.training.Progress", twin)
    terminal = FakeTerminal()
    history = run(terminal, epochs=12)  # 12: the epoch number is padded, "epoch  3/12"
    if twin:
        with pytest.raises(AssertionError):
            assert_bar_then_line(terminal.getvalue(), history, 12)
    else:
        assert_bar_then_line(terminal.getvalue(), history, 12)


def widgets_shown(printed):
    """How many tqdm widgets were displayed: outside a running kernel, IPython's `display` prints each one."""
    return len(re.findall(r"epoch \d/\d: +\d+%\|", printed))


@pytest.mark.parametrize("twin", [None, DecidesByItself])
def test_in_jupyter_each_epoch_gets_tqdms_widget_and_the_lines_stay(monkeypatch, capsys, twin):
    import tqdm.auto
    import tqdm.notebook

    # In a Jupyter kernel tqdm.auto.tqdm *is* tqdm.notebook.tqdm, whose bar is an ipywidgets widget; the
    # kernel's standard output is no terminal, so a bar that asked isatty() would not be drawn at all.
    monkeypatch.setattr(tqdm.auto, "tqdm", tqdm.notebook.tqdm)
    if twin:
        monkeypatch.setattr("tinygraph.training.Progress", twin)
    made = []
    monkeypatch.setattr(tqdm.notebook.tqdm, "status_printer",
                        staticmethod(lambda *args, real=tqdm.notebook.tqdm.status_printer: made.append(real(*args)) or made[-1]))
    history = run(True, epochs=2)
    printed = capsys.readouterr().out
    lines = [line for line in printed.splitlines() if line.startswith("epoch") and "%|" not in line]
    assert len(lines) == 2 and all(re.fullmatch(p, line) for p, line in zip(summary_lines(history, 2), lines))
    if twin:
        assert widgets_shown(printed) == 0 and made == []
    else:
        assert widgets_shown(printed) == 2
        assert len(made) == 2 and all(type(widget).__name__ == "TqdmHBox" for widget in made)


def test_progress_false_prints_nothing_and_no_bar_is_left_after_an_error(capsys):
    from tqdm import tqdm

    run(False)
    assert capsys.readouterr().out == ""
    X = np.linspace(-100.0, 100.0, 64).reshape(-1, 1)
    line = tg.Sequential(tg.Dense(1, 1, rng=0))
    with pytest.raises(FloatingPointError):
        tg.fit(line, tg.MSE(), tg.SGD(line.parameters(), lr=1.0), X, 3 * X, epochs=100, seed=0, progress=FakeTerminal())
    assert not tqdm._instances  # the bar of the epoch that failed was closed


def test_the_runtime_dependencies_are_numpy_and_tqdm():
    names = sorted(re.split(r"[ <>=!~;\[]", requirement, maxsplit=1)[0] for requirement in requires("tinygraph")
                   if "extra ==" not in requirement)
    assert names == ["numpy", "tqdm"]
