"""`gradcheck`: compare a layer's (or loss's) backward with finite differences, in float64, and blame a layer.

For a layer `f` at input `x` it differentiates the scalar `s = sum(dy * f(x))` with a random upstream
gradient `dy` (`functions.py`), numerically (`differences.py`: every element in full mode, a few
random directions per tensor in fast mode), with respect to the input and every parameter, and
compares with what `backward(dy)` gave. It also checks, from the analytic gradients alone:

- determinism: a second forward+backward gives the same gradients, bit for bit;
- accumulation: a second backward without `zero_grad` doubles every parameter gradient (`+=`);
- linearity: with `dy = 0` every gradient is exactly 0 (a backward that folds in a penalty is not);
- every layer call (`watchdog.py`): forward leaves `x` alone, backward leaves `dy` alone and returns
  a `dx` of the shape and dtype of `x`.

When a model made of layers fails, `blame` names the first layer whose own backward is wrong: each
sub-layer is checked alone at the input it saw during the pass, in path order, descending into the
first that fails (`report.culprit`). Everything runs on a float64 copy: the model is left as it was.
"""

import contextlib
import copy
import warnings

import numpy as np

from .. import checks
from ..copies import copied
from ..layer import Layer
from ..losses import Loss
from ..watch import watching
from .differences import along, compare, directional, elementwise, random_directions, random_elements
from .functions import LayerFunction, LossFunction
from .report import SAMPLE, GradcheckReport, Settings, TensorCheck
from .watchdog import Recorder, Watchdog, culprit_of

MODES = ("auto", "full", "fast")
FULL_MODE_LIMIT = 2000  # values (inputs and parameters): above it, mode="auto" checks in fast mode


def gradcheck(model, x, *, target=None, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0, mode="auto", allow_zero=False):
    """Check `model`'s backward against finite differences at `x`; return a `GradcheckReport`.

    `model` is a `Layer` (any layer, container or graph) or a `Loss` (then `x` is `pred` and `target` is
    required). `x` is an array, or a tuple of arrays for a model of several inputs; an integer input
    (indices) is passed as it is and only the parameters are checked. `mode`: "full" (every element),
    "fast" (3 random directions per tensor) or "auto" (full up to 2,000 values, fast above).
    `allow_zero`: accept a tensor whose gradients are all 0 (else "nothing checked" fails). `seed`
    seeds the random upstream gradient and directions. The report is truthy when every check passes;
    a failing one shows its table in the `AssertionError` of a plain `assert gradcheck(...)`.

    >>> import tinygraph as tg
    >>> report = gradcheck(tg.Tanh(), np.array([[0.1, -0.3]]))
    >>> report.ok, report.mode
    (True, 'full')
    """
    if not isinstance(model, (Layer, Loss)):
        raise TypeError(f"gradcheck: model must be a tinygraph Layer or Loss, got {checks.describe(model)}")
    if isinstance(model, Loss) and target is None:
        raise TypeError(f"gradcheck: checking the loss {model!r} needs target=")
    settings = Settings(
        checks.number("gradcheck", "eps", eps, low=0, low_open=True, high=None),
        checks.number("gradcheck", "atol", atol, low=0, high=None),
        checks.number("gradcheck", "rtol", rtol, low=0, high=None),
        checks.integer("gradcheck", "seed", seed, minimum=0),
        checks.choice("gradcheck", "mode", mode, MODES),
        checks.flag("gradcheck", "allow_zero", allow_zero),
    )
    given = list(x) if isinstance(x, tuple) and isinstance(model, Layer) else [x]
    xs = [_input(value, i if len(given) > 1 else None) for i, value in enumerate(given)]
    notes = _low_precision(model, given, xs)
    model = copied("gradcheck", model)
    rng = np.random.default_rng(seed)
    if isinstance(model, Layer):
        function = LayerFunction(model.astype(np.float64), xs, rng)
        notes += _state_notes(function)
    else:
        function = LossFunction(model, xs[0], copy.deepcopy(target), rng)
    report, problems = check(function, repr(model), settings, notes)
    if not report.ok and isinstance(model, Layer):
        _assign_culprit(report, function, settings, problems)
    return report


def _input(value, i):
    """A float input as our float64 copy; an integer or bool one (indices) as a copy of its own dtype."""
    what = "gradcheck: x" if i is None else f"gradcheck: x[{i}]"
    array = np.asarray(value)
    if array.dtype.kind in "iub":
        return array.copy()
    return checks.as_numeric(array, np.float64, what).copy()


def _low_precision(model, given, xs):
    low = [f"x ({np.asarray(v).dtype})" for v in given if np.asarray(v).dtype.kind == "f" and np.asarray(v).dtype != np.float64]
    if isinstance(model, Layer):
        low += [f"{name} ({p.value.dtype})" for name, p in model.named_parameters() if p.value.dtype != np.float64]
    if not low:
        return []
    warnings.warn(
        f"gradcheck: {', '.join(low)} not float64; checking a float64 copy instead "
        "(finite differences in float32 cannot resolve relative errors much below 1e-4)",
        UserWarning,
        stacklevel=3,
    )
    return [f"checked on a float64 copy: {', '.join(low)} not float64 (float32 differences cannot resolve "
            "relative errors much below 1e-4); the model itself is unchanged"]


def _state_notes(function):
    notes = []
    if function.buffers:
        names = ", ".join(name for name, _ in function.model.named_buffers())
        notes.append(f"buffers put back before every forward ({names}): in training mode a batch statistic "
                     "makes the layer a function of the whole batch, and that function is checked")
    if function.generators:
        notes.append(f"random generators rewound before every forward ({len(function.generators)}): "
                     "the same random draws (dropout masks) every time")
    return notes


def resolve(mode, function):
    if mode != "auto":
        return mode
    values = sum(tensor.size for _, tensor in function.tensors)
    return "full" if values <= FULL_MODE_LIMIT else "fast"


def check(function, title, settings, notes=()):
    """Run every check on `function`; return `(report, problems)` (the watchdog's, for blame)."""
    if settings.mode == "auto" and resolve("auto", function) == "fast":
        values = sum(tensor.size for _, tensor in function.tensors)
        notes = [*notes, f"mode='auto' chose fast mode: {values:,} values to check, more than {FULL_MODE_LIMIT:,} "
                         "(pass mode='full' to check every element)"]
    settings = settings.with_mode(resolve(settings.mode, function))
    watchdog = Watchdog(function.model) if isinstance(function, LayerFunction) else None
    try:
        with watching(watchdog) if watchdog else contextlib.nullcontext():
            first = function.gradients()
    except Exception as error:
        if not (watchdog and watchdog.problems):
            raise
        # A layer broke a rule (a dx of the wrong shape) and a later one refused what it got: name the first.
        failed = [(f"forward+backward runs (not: {type(error).__name__}: {error})", False)]
        report = GradcheckReport(title, [], failed + _call_checks(watchdog.problems), settings,
                                 function.upstream(settings.seed), notes)
        return report, watchdog.problems
    if watchdog:
        watchdog.check_parameters()
    again = function.gradients()
    doubled = function.gradients(clear=False)
    rows = [TensorCheck.not_differentiated(name, x.shape, f"integer input ({x.dtype}), parameters only")
            for name, x in function.integer_inputs]
    s0 = function.scalar()
    rng = np.random.default_rng([settings.seed, 1])
    for (name, tensor), grad in zip(function.tensors, first):
        rows.append(_row(function, name, tensor, grad, settings, s0, rng))
    names = [name for name, _ in function.tensors]
    checks_ = [_same(names, first, again)]
    params = function.params
    if params:
        # Not bit-exact: a shared layer's (a + b) + a + b rounds differently from 2 * (a + b).
        not_doubled = [n for n, g1, g2 in zip(names[-len(params):], first[-len(params):], doubled[-len(params):])
                       if not np.allclose(g2, 2 * g1, rtol=settings.rtol, atol=settings.atol)]
        checks_.append(("a second backward adds into .grad: every parameter gradient doubles"
                        + (f" (not {', '.join(not_doubled)})" if not_doubled else ""), not not_doubled))
    if watchdog or getattr(function, "dloss", None) is not None:
        checks_.append(_zero_upstream(names, function.gradients(scale=0.0)))
    problems = watchdog.problems if watchdog else []
    if watchdog:
        checks_ += _call_checks(problems)
    return GradcheckReport(title, rows, checks_, settings, function.upstream(settings.seed), notes), problems


def _row(function, name, tensor, grad, settings, s0, rng):
    if isinstance(grad, str):
        return TensorCheck.broken(name, tensor.shape, grad)
    if grad is None or np.shape(grad) != tensor.shape:
        got = "None" if grad is None else f"shape {np.shape(grad)}"
        return TensorCheck.broken(name, tensor.shape, f"backward gave {got}, expected shape {tensor.shape}")
    grad = np.asarray(grad, dtype=np.float64)
    if settings.mode != "full":
        directions = (random_directions(rng, tensor.shape, settings.directions) if settings.mode == "fast"
                      else random_elements(rng, tensor.shape, SAMPLE))
        analytic = along(grad, directions)
        numeric = directional(function.scalar, tensor, settings.eps, s0, directions)
        return compare(name, analytic, numeric, settings, directional=True, shape=tensor.shape)
    return compare(name, grad, elementwise(function.scalar, tensor, settings.eps, s0), settings)


def _same(names, first, again):
    differ = [name for name, a, b in zip(names, first, again) if not _identical(a, b)]
    return ("a second forward+backward gives the same gradients, bit for bit"
            + (f" (not {', '.join(differ)})" if differ else ""), not differ)


def _identical(a, b):
    if a is None or b is None or isinstance(a, str):
        return a is None and b is None or isinstance(a, str)
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def _zero_upstream(names, grads):
    for name, grad in zip(names, grads):
        if grad is None or isinstance(grad, str):
            continue
        grad = np.asarray(grad)
        if grad.any():
            index = tuple(int(i) for i in np.unravel_index(np.argmax(np.abs(grad)), grad.shape))
            return f"with dy = 0 every gradient is 0 (not {name}: {grad[index]:.6g} at index {index})", False
    return "with dy = 0 every gradient is 0", True


CALL_RULES = [
    ("forward modified its input", "every forward leaves its input x as it was"),
    ("backward modified its upstream", "every backward leaves its dy as it was"),
    ("backward returned", "every backward returns dx of its input's shape and dtype"),
    ("backward made", "every backward keeps each parameter gradient in the parameter's dtype"),
]


def _call_checks(problems):
    """One failed check per rule some call broke, or one passed check for all the rules."""
    results = []
    for start, description in CALL_RULES:
        broken = [(path, name, sentence) for path, name, sentence in problems if sentence.startswith(start)]
        if broken:
            path, name, sentence = broken[0]
            where = f"{path} {name}" if path else name
            more = f", and {len(broken) - 1} more" if len(broken) > 1 else ""
            results.append((f"{description} (not {where}: {sentence}{more})", False))
    return results or [("every call leaves x and dy alone and returns dx of x's shape and dtype", True)]


def _assign_culprit(report, function, settings, problems):
    """Set `report.culprit` (and `.culprit_name`, `.blame`, `.culprit_report`) for a failing layer check."""
    guilty = culprit_of(problems, {path: i for i, (path, _) in enumerate(function.model.named_layers())})
    if guilty:
        path, name, sentence = guilty
        report.culprit, report.culprit_name = path, name
        report.blame = f"culprit: {path or 'the model'} ({name}): {sentence}"
        return
    if all(row.ok or row.vacuous for row in report.rows) and all(passed for _, passed in report.checks):
        return  # only "nothing checked": no backward is known to be wrong
    composite = any(isinstance(member, Layer) for _, member in function.model.named_members())
    found = blame(function, settings) if composite else None
    if found is None:
        report.culprit, report.culprit_name = "", type(function.model).__name__
        if composite:
            report.blame = (f"culprit: the model's own backward ({report.culprit_name}): every sub-layer passes "
                            "alone at the input it saw")
        return
    path, layer, sub = found
    report.culprit, report.culprit_name, report.culprit_report = path, type(layer).__name__, sub
    reasons = "; ".join(sub.failures())
    report.blame = f"culprit: {path} ({report.culprit_name}), checked alone at the input it saw: {reasons}"


def blame(function, settings):
    """`(path, layer, its report)` of the first sub-layer (path order, deepest) that fails alone, or None."""
    recorder = Recorder()
    function.rewind()
    with watching(recorder):
        function.model(*[x.copy() for x in function.xs])
    settings = settings.with_mode(settings.mode, allow_zero=True)  # a dead sub-layer is not a wrong one
    path, layer, found = "", function.model, None
    while True:
        for name, child in layer.named_members():
            if not isinstance(child, Layer) or id(child) not in recorder.seen:
                continue
            alone, xs = recorder.seen[id(child)]
            try:
                sub = LayerFunction(alone, xs, np.random.default_rng(settings.seed))
                report, _ = check(sub, repr(child), settings)
            except Exception:  # noqa: BLE001 - a layer that cannot run alone is not blamed
                continue
            if not report.ok and report.mode == "fast":  # ties (see `random_elements`), or a wrong backward?
                report, _ = check(sub, repr(child), settings.with_mode("sample"))
            if not report.ok:
                path = f"{path}.{name}" if path else name
                layer, found = child, (path, child, report)
                break
        else:
            return found
