"""What `gradcheck` returns: a `GradcheckReport` of `TensorCheck` rows, failures first.

A report is truthy exactly when every check passed. So that a plain `assert gradcheck(...)` shows
*why* it failed, a failing report used as the condition of an `assert` statement without a message
of its own raises the `AssertionError` itself, with the report as its message: in plain Python
(which would otherwise raise a bare `AssertionError`) and in a test module that pytest rewrote
(which would otherwise print the repr on one line, cut to 240 characters). Everywhere else
(`if report:`, `bool(report)`, `not report`, `assert report, "..."`) it is a plain falsy object.
"""

import dis
import sys

from ..text import number, table


SAMPLE = 32  # elements per tensor in mode "sample" (blame's second look at a sub-layer that failed in fast mode)


class Settings:
    """How a check was run: `eps`, `atol`, `rtol`, `seed`, `mode` ("full", "fast" or "sample"), `allow_zero`,
    `directions`."""

    def __init__(self, eps, atol, rtol, seed, mode, allow_zero, directions=3):
        self.eps, self.atol, self.rtol, self.seed = eps, atol, rtol, seed
        self.mode, self.allow_zero, self.directions = mode, allow_zero, directions

    def with_mode(self, mode, allow_zero=None):
        return Settings(self.eps, self.atol, self.rtol, self.seed, mode,
                        self.allow_zero if allow_zero is None else allow_zero, self.directions)

    def method(self):
        """Two lines: how the numeric gradient was taken, and when a value passes."""
        if self.mode == "fast":
            how = (f"fast mode: derivatives along {self.directions} random directions per tensor (entries ~ N(0, 1)), "
                   f"central differences in float64, steps of length eps={self.eps:g}")
        elif self.mode == "sample":
            how = (f"sampled elements: central differences in float64 for {SAMPLE} elements per tensor chosen at "
                   f"random (all, if fewer), eps={self.eps:g}")
        else:
            how = f"full mode: central differences in float64 for every element, eps={self.eps:g}"
        rule = f"a value passes if |analytic - numeric| <= atol + rtol * |numeric| (atol={self.atol:g}, rtol={self.rtol:g})"
        return [how, rule]


class TensorCheck:
    """One row of a `GradcheckReport`: how the analytic gradient of one tensor compares with the numeric one.

    `worst_index` is an element's index in full mode, `(k,)` for the k-th random direction in fast mode
    (`directional` is then True). `vacuous`: both gradients are within `atol` of zero everywhere, so
    nothing was checked (a failure unless allowed). `skipped`: why the tensor was not differentiated
    (an integer input). `problem`: why it could not be compared (no gradient, a wrong shape).
    """

    __slots__ = ("name", "shape", "max_abs", "max_rel", "worst_index", "analytic", "numeric", "ok", "kinks",
                 "problem", "vacuous", "skipped", "directional")

    def __init__(self, name, shape, max_abs, max_rel, worst_index, analytic, numeric, ok, kinks, problem="",
                 vacuous=False, skipped="", directional=False):
        self.name, self.shape = name, tuple(shape)
        self.max_abs, self.max_rel = max_abs, max_rel
        self.worst_index, self.analytic, self.numeric = worst_index, analytic, numeric
        self.ok, self.kinks, self.problem = ok, kinks, problem
        self.vacuous, self.skipped, self.directional = vacuous, skipped, directional

    @classmethod
    def broken(cls, name, shape, problem):
        return cls(name, shape, float("nan"), float("nan"), None, None, None, False, 0, problem)

    @classmethod
    def not_differentiated(cls, name, shape, reason):
        return cls(name, shape, float("nan"), float("nan"), None, None, None, True, 0, skipped=reason)

    def where(self):
        if self.worst_index is None:
            return "-"
        return f"dir {self.worst_index[0]}" if self.directional else str(self.worst_index)

    def verdict(self):
        if self.problem:
            return "FAIL: " + self.problem
        if self.skipped:
            return "not checked: " + self.skipped
        if self.vacuous:
            return "nothing checked: all 0 (allowed)" if self.ok else "FAIL: nothing checked, all 0"
        verdict = "ok" if self.ok else "FAIL"
        return verdict + (f" ({self.kinks} at kinks, one-sided)" if self.kinks else "")

    def cells(self):
        if self.problem or self.skipped:
            return [self.name, str(self.shape), "-", "-", "-", "-", "-", self.verdict()]
        return [self.name, str(self.shape), f"{self.max_abs:.2e}", f"{self.max_rel:.2e}", self.where(),
                number(self.analytic), number(self.numeric), self.verdict()]

    def sentence(self, settings):
        """Why this row failed, in one sentence (empty if it passed)."""
        if self.ok:
            return ""
        if self.problem:
            return f"{self.name}: {self.problem}"
        if self.vacuous:
            return (f"{self.name}: nothing checked: its analytic and numeric gradients are both within atol of 0 "
                    "everywhere (dead units? a zero upstream?); pass allow_zero=True if that is expected")
        where = f"along random direction {self.worst_index[0]}" if self.directional else f"at index {self.worst_index}"
        return (f"{self.name} gradient is wrong: {where} analytic {self.analytic:.6g} vs numeric {self.numeric:.6g} "
                f"(max abs err {self.max_abs:.2e}, max rel err {self.max_rel:.2e}; atol={settings.atol:g}, "
                f"rtol={settings.rtol:g}, eps={settings.eps:g})")


class GradcheckReport:
    """The result of `gradcheck`: `.ok`, `.rows` (one `TensorCheck` per tensor), `.checks`, `.culprit`.

    `.checks` is `[(description, passed), ...]` (determinism, accumulation, a zero upstream, and how
    every layer call behaved); `.culprit` is the path of the first layer whose own backward is wrong
    (`"1.2"`; `""` for the model itself; None when no backward is wrong), `.culprit_name` its class,
    `.blame` the sentence that says why, `.culprit_report` that layer's own report (when checked alone). `.mode` is the mode that ran,
    `.notes` what else was done (a float64 copy, integer inputs, buffers, generators).
    `str(report)` and `repr(report)` are the table, failures first.
    """

    HEADER = ["tensor", "shape", "max abs err", "max rel err", "worst index", "analytic", "numeric", "result"]

    def __init__(self, title, rows, checks, settings, upstream, notes=()):
        self.title, self.rows, self.checks = title, rows, checks
        self.settings, self.upstream, self.notes = settings, upstream, list(notes)
        self.culprit, self.culprit_name, self.blame, self.culprit_report = None, "", "", None

    eps = property(lambda self: self.settings.eps)
    atol = property(lambda self: self.settings.atol)
    rtol = property(lambda self: self.settings.rtol)
    mode = property(lambda self: self.settings.mode)

    @property
    def ok(self):
        return all(row.ok for row in self.rows) and all(passed for _, passed in self.checks)

    def __bool__(self):
        __tracebackhide__ = True  # pytest shows the test's own line, not this one
        if self.ok:
            return True
        if is_bare_assert(sys._getframe(1)):
            raise AssertionError(str(self))
        return False

    def failures(self):
        """One sentence per failed check: the tensor, the worst index, analytic vs numeric, errors, tolerances."""
        sentences = [row.sentence(self.settings) for row in self.rows if not row.ok]
        sentences += [f"not true that {description}" for description, passed in self.checks if not passed]
        return sentences + ([self.blame] if self.blame else [])

    def headline(self):
        """The first line: the verdict, then (failing) the culprit and what failed, by name."""
        name = self.title if len(self.title) <= 40 and "\n" not in self.title else self.title.split("(")[0]
        if self.ok:
            return f"gradcheck {name}: ok ({self.mode} mode)"
        parts = [f"gradcheck {name}: FAILED"]
        if self.culprit:
            parts.append(f"culprit {self.culprit} ({self.culprit_name})")
        elif self.culprit == "" and self.blame:
            parts.append("culprit: its own backward")
        wrong = [row.name for row in self.rows if not row.ok]
        if wrong:
            parts.append(f"wrong: {', '.join(wrong)}")
        failed = sum(not passed for _, passed in self.checks)
        if failed:
            parts.append(f"{failed} check{'s' if failed > 1 else ''} failed")
        return "; ".join(parts)

    def __str__(self):
        rows = [row for row in self.rows if not row.ok] + [row for row in self.rows if row.ok]
        lines = [self.headline()]
        if self.blame:
            lines.append(f"  {self.blame}")
        lines += [f"  {description}: NO" for description, passed in self.checks if not passed]
        lines += table(self.HEADER, [row.cells() for row in rows], indent="  ")
        lines += [f"  {description}: yes" for description, passed in self.checks if passed]
        lines.append("  model: " + self.title.replace("\n", "\n  "))
        how, rule = self.settings.method()
        lines += [f"  {how}; {self.upstream}", f"  {rule}"]
        lines += [f"  {note}" for note in self.notes]
        return "\n".join(lines)

    __repr__ = __str__


def is_bare_assert(frame):
    """True if the truth test now running in `frame` is the condition of an `assert` without a message.

    Read from the bytecode at the frame's last instruction: a conditional jump on truth (after
    Python 3.13's TO_BOOL) that falls through into raising `AssertionError` with no argument (a plain
    `assert x`), or into building the message of an assert that pytest rewrote (a `%(py0)s` format).
    """
    try:
        instructions = list(dis.get_instructions(frame.f_code))
    except Exception:  # noqa: BLE001 - no bytecode to read: behave as a plain falsy object
        return False
    index = next((i for i, ins in enumerate(instructions) if ins.offset == frame.f_lasti), None)
    if index is None:
        return False
    skip = ("TO_BOOL", "EXTENDED_ARG", "NOT_TAKEN", "CACHE")
    after = [ins for ins in instructions[index : index + 6] if ins.opname not in skip][:3]
    if len(after) < 3 or "JUMP" not in after[0].opname or not after[0].opname.endswith("IF_TRUE"):
        return False
    if after[1].opname == "LOAD_ASSERTION_ERROR":
        return after[2].opname == "RAISE_VARARGS"
    rewritten = "@pytest_ar" in frame.f_globals
    return rewritten and after[1].opname == "LOAD_CONST" and isinstance(after[1].argval, str) and "%(py" in after[1].argval
