"""`gradcheck`: compare a layer's (or loss's) backward with central finite differences, in float64.

For a layer `f` and input `x`, gradcheck draws a *random* upstream gradient `dy` (an all-ones upstream
would hide a backward that ignores `dy`) and differentiates the scalar `sum(dy * f(x))` numerically,
element by element, with respect to `x` and every parameter:

    numeric = (s(v + eps) - s(v - eps)) / (2 * eps)

An element passes when `|analytic - numeric| <= atol + rtol * |numeric|` (as `np.allclose`). Where a
function has a kink within `eps` (ReLU near 0), central differences are meaningless; there gradcheck
accepts the analytic value if it matches one of the two one-sided differences, and counts the element.

It also checks that a second forward+backward gives exactly the same `dx` and doubles the parameter
gradients (backward must add into `.grad`, not overwrite it), and that `dx` has the shape of `x`.
Everything runs on a float64 copy, so the model's values and gradients are left as they were. Every
`np.random.Generator` a layer holds (Dropout's) is rewound before each forward of the copy, so a
layer in training mode draws the same mask every time and is checked as the function it computes.
"""

import copy
import warnings

import numpy as np

from .. import checks
from ..checks import as_numeric
from ..copies import copied
from ..layer import Layer
from ..losses import Loss
from ..text import number, table


def gradcheck(model, x, *, target=None, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0):
    """Check `model`'s backward against finite differences at `x`; return a `GradcheckReport`.

    `model` is a `Layer` (any layer or container) or a `Loss` (then `x` is `pred` and `target` is
    required). `seed` seeds the random upstream gradient. The report is truthy when every check passes,
    and prints as a table, so `assert gradcheck(layer, x)` shows the table when it fails.

    >>> import tinygraph as tg
    >>> report = gradcheck(tg.Tanh(), np.array([[0.1, -0.3]]))
    >>> report.ok
    True
    """
    if not isinstance(model, (Layer, Loss)):
        raise TypeError(f"gradcheck: model must be a tinygraph Layer or Loss, got {type(model).__name__}")
    if isinstance(model, Loss) and target is None:
        raise TypeError(f"gradcheck: checking the loss {model!r} needs target=")
    eps = checks.number("gradcheck", "eps", eps, low=0, low_open=True)
    atol = checks.number("gradcheck", "atol", atol, low=0)
    rtol = checks.number("gradcheck", "rtol", rtol, low=0)
    seed = checks.integer("gradcheck", "seed", seed, minimum=0)
    x_in = np.asarray(x)
    x = as_numeric(x_in, np.float64, "gradcheck: x").copy()
    low_precision = [f"x ({x_in.dtype})"] if x_in.dtype.kind == "f" and x_in.dtype != np.float64 else []
    if isinstance(model, Layer):
        low_precision += [f"{name} ({p.value.dtype})" for name, p in model.named_parameters() if p.value.dtype != np.float64]
    if low_precision:
        warnings.warn(
            f"gradcheck: {', '.join(low_precision)} not float64; checking a float64 copy instead "
            "(finite differences in float32 cannot resolve relative errors much below 1e-4)",
            UserWarning,
            stacklevel=2,
        )
    model = copied("gradcheck", model)
    if isinstance(model, Layer):
        model.astype(np.float64)
        check = _LayerCheck(model, x, np.random.default_rng(seed))
    else:
        check = _LossCheck(model, x, copy.deepcopy(target))
    return check.run(eps, atol, rtol, seed)


class _LayerCheck:
    """The scalar `s = sum(dy * model(x))` and its analytic gradients for a layer."""

    def __init__(self, model, x, rng):
        self.model, self.x = model, x
        self.tensors = [("input", x)] + [(name, p.value) for name, p in model.named_parameters()]
        self.params = model.parameters()
        # Layers that draw random numbers (Dropout) get the same draws in every forward, so that all
        # the forwards compute one and the same function.
        self.generators = [
            value for layer in model.all_layers() for value in vars(layer).values() if isinstance(value, np.random.Generator)
        ]
        self.states = [g.bit_generator.state for g in self.generators]
        self.dy = rng.standard_normal(np.shape(self.forward()))

    def forward(self):
        for generator, state in zip(self.generators, self.states):
            generator.bit_generator.state = state
        return self.model(self.x.copy())  # a copy: a forward that writes into its input spoils nothing here

    def scalar(self):
        return float(np.sum(self.dy * self.forward()))

    def analytic(self):
        """Return `[dx, grad, ...]` from one forward+backward, starting from zero gradients."""
        for p in self.params:
            p.zero_grad()
        return self.analytic_again()

    def analytic_again(self):
        """A forward+backward without clearing: `[dx, accumulated grad, ...]`."""
        self.forward()
        dx = self.model.backward(self.dy.copy())
        return [dx] + [p.grad.copy() for p in self.params]

    def run(self, eps, atol, rtol, seed):
        return _run(self, f"{self.model!r}", eps, atol, rtol, f"random upstream gradient dy (seed {seed})")


class _LossCheck:
    """The scalar `loss(pred, target)` and its analytic gradient for a loss."""

    def __init__(self, loss, pred, target):
        self.loss, self.target = loss, target
        self.tensors = [("pred", pred)]
        self.params = []
        self.pred = pred

    def scalar(self):
        return self.loss(self.pred, self.target)

    def analytic(self):
        self.loss(self.pred, self.target)
        return [self.loss.backward()]

    analytic_again = analytic

    def run(self, eps, atol, rtol, seed):
        return _run(self, f"{self.loss!r}", eps, atol, rtol, "the loss itself as the scalar")


def _run(check, title, eps, atol, rtol, upstream):
    first = check.analytic()
    second = check.analytic_again()
    rows, notes = [], []
    for (name, tensor), grad in zip(check.tensors, first):
        grad = None if grad is None else np.asarray(grad)
        if grad is None or grad.shape != tensor.shape:
            got = "None" if grad is None else f"shape {grad.shape}"
            rows.append(TensorCheck.broken(name, tensor.shape, f"backward gave {got}, expected shape {tensor.shape}"))
            continue
        rows.append(_compare(name, grad, _numeric(check, tensor, eps), atol, rtol))
    notes.append((f"a second forward+backward gives the same {check.tensors[0][0]} gradient", _same(first[0], second[0])))
    if check.params:
        # Not bit-exact: a shared layer's (a + b) + a + b rounds differently from 2 * (a + b).
        names = [name for name, _ in check.tensors[1:]]
        not_doubled = [n for n, g1, g2 in zip(names, first[1:], second[1:]) if not np.allclose(g2, 2 * g1, rtol=rtol, atol=atol)]
        description = "a second backward adds into .grad: every parameter gradient doubles"
        notes.append((description + (f" (not {', '.join(not_doubled)})" if not_doubled else ""), not not_doubled))
    return GradcheckReport(title, rows, notes, eps=eps, atol=atol, rtol=rtol, upstream=upstream)


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _numeric(check, tensor, eps):
    """Central and both one-sided differences of `check.scalar()` for every element of `tensor`."""
    s0 = check.scalar()
    central, forward, backward = (np.zeros(tensor.shape) for _ in range(3))
    for index in np.ndindex(tensor.shape):
        original = tensor[index]
        tensor[index] = original + eps
        s_plus = check.scalar()
        tensor[index] = original - eps
        s_minus = check.scalar()
        tensor[index] = original
        central[index] = (s_plus - s_minus) / (2 * eps)
        forward[index] = (s_plus - s0) / eps
        backward[index] = (s0 - s_minus) / eps
    return central, forward, backward


def _compare(name, analytic, numeric, atol, rtol):
    central, forward, backward = numeric

    def close(reference):
        return np.abs(analytic - reference) <= atol + rtol * np.abs(reference)

    ok_central, ok_forward, ok_backward = close(central), close(forward), close(backward)
    # At a kink the one-sided slopes disagree; a correct backward matches one of them, which is then
    # the numeric gradient it is compared with.
    at_kink = ~ok_central & ~np.isclose(forward, backward, rtol=rtol, atol=atol) & (ok_forward | ok_backward)
    numeric = np.where(at_kink, np.where(ok_forward, forward, backward), central)
    ok = ok_central | at_kink
    if analytic.size == 0:
        return TensorCheck(name, analytic.shape, 0.0, 0.0, None, None, None, True, 0)
    error = np.abs(analytic - numeric)
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    relative = np.divide(error, scale, out=np.zeros_like(error), where=scale > atol)
    badness = np.where(ok, 0.0, error / (atol + rtol * np.abs(numeric)))
    worst = np.unravel_index(np.argmax(badness) if not ok.all() else np.argmax(error), error.shape)
    return TensorCheck(
        name,
        analytic.shape,
        float(error.max()),
        float(relative.max()),
        tuple(int(i) for i in worst),
        float(analytic[worst]),
        float(numeric[worst]),
        bool(ok.all()),
        int(at_kink.sum()),
    )


class TensorCheck:
    """One row of a `GradcheckReport`: how the analytic gradient of one tensor compares."""

    __slots__ = ("name", "shape", "max_abs", "max_rel", "worst_index", "analytic", "numeric", "ok", "kinks", "problem")

    def __init__(self, name, shape, max_abs, max_rel, worst_index, analytic, numeric, ok, kinks, problem=""):
        self.name, self.shape = name, tuple(shape)
        self.max_abs, self.max_rel = max_abs, max_rel
        self.worst_index, self.analytic, self.numeric = worst_index, analytic, numeric
        self.ok, self.kinks, self.problem = ok, kinks, problem

    @classmethod
    def broken(cls, name, shape, problem):
        return cls(name, shape, float("nan"), float("nan"), None, None, None, False, 0, problem)

    def cells(self):
        if self.problem:
            return [self.name, str(self.shape), "-", "-", "-", "-", "-", "NO: " + self.problem]
        verdict = "ok" if self.ok else "FAIL"
        if self.kinks:
            verdict += f" ({self.kinks} at kinks, one-sided)"
        worst = "-" if self.worst_index is None else str(self.worst_index)
        return [
            self.name, str(self.shape), f"{self.max_abs:.2e}", f"{self.max_rel:.2e}", worst,
            number(self.analytic), number(self.numeric), verdict,
        ]


class GradcheckReport:
    """The result of `gradcheck`: `.ok`, `.rows` (one `TensorCheck` per tensor), `.checks`, `str()` a table.

    A report is truthy exactly when `.ok`, so `assert gradcheck(layer, x)` fails when a check fails and
    pytest then shows the table.
    """

    HEADER = ["tensor", "shape", "max abs err", "max rel err", "worst index", "analytic", "numeric", "result"]

    def __init__(self, title, rows, checks, *, eps, atol, rtol, upstream):
        self.title, self.rows, self.checks = title, rows, checks
        self.eps, self.atol, self.rtol, self.upstream = eps, atol, rtol, upstream

    @property
    def ok(self):
        return all(row.ok for row in self.rows) and all(passed for _, passed in self.checks)

    def __bool__(self):
        return self.ok

    def failures(self):
        """One sentence per failed check: the tensor, the worst index, analytic vs numeric, errors, tolerances."""
        sentences = []
        for row in self.rows:
            if row.problem:
                sentences.append(f"{row.name}: {row.problem}")
            elif not row.ok:
                sentences.append(
                    f"{row.name} gradient is wrong: at index {row.worst_index} analytic {row.analytic:.6g} vs numeric "
                    f"{row.numeric:.6g} (max abs err {row.max_abs:.2e}, max rel err {row.max_rel:.2e}; "
                    f"atol={self.atol:g}, rtol={self.rtol:g}, eps={self.eps:g})"
                )
        return sentences + [f"not true that {description}" for description, passed in self.checks if not passed]

    def __str__(self):
        lines = [
            f"gradcheck {self.title}: {'ok' if self.ok else 'FAILED'}",
            f"  central differences in float64, eps={self.eps:g}, {self.upstream}; an element passes if "
            f"|analytic - numeric| <= atol + rtol * |numeric| (atol={self.atol:g}, rtol={self.rtol:g})",
        ]
        lines += table(self.HEADER, [row.cells() for row in self.rows], indent="  ")
        lines += [f"  {description}: {'yes' if passed else 'NO'}" for description, passed in self.checks]
        return "\n".join(lines)

    __repr__ = __str__
