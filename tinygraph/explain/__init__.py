"""`tg.explain`: train a model and write one HTML page that shows every step of backprop.

    >>> import os, tempfile, tinygraph as tg
    >>> X, y = tg.datasets.article()
    >>> net = tg.article_network(1)
    >>> page = os.path.join(tempfile.mkdtemp(), "article.html")
    >>> tg.explain(net, tg.SumSquaredError(), tg.SGD(net.parameters(), lr=1.0), X, y, steps=10, path=page) == page
    True

The page (open it in any browser, from disk) draws the network, its weights as coloured lines, the
loss curve and, for two input features, the decision boundary; a slider walks through the recorded
steps, and hovering a neuron or a weight shows its value and gradient at that step.
"""

import os

from .. import checks
from ..layer import Layer
from ..losses import Loss
from ..optim import Optimizer
from ..training import check_data, check_finite_parameters, check_reduced
from . import page
from .record import train_and_record


def explain(model, loss, optimizer, X, target, *, steps=50, every=1, path="explain.html"):
    """Train `model` for `steps` full-batch steps and write the run as one HTML page at `path`; return `path`
    (as given: a string or a `pathlib.Path`).

    Each step is `optimizer.zero_grad()`, `loss(model(X), target)`, `model.backward(loss.backward())`,
    `optimizer.step()` on all of `X` (the model is trained in place, as `fit` trains it). Every
    `every`-th step is recorded: each layer's output `y` and gradient `dy` (for the drawn units, for a
    few samples and as batch means), each parameter with its gradient, and the loss. Entry k of the
    page is the state after k * every updates, with the loss computed before the next update; the
    last entry is always the trained model, after all `steps` updates (one entry more when `every`
    does not divide `steps`).

    The page is self-contained (no network, all code inline). Wide layers are drawn as their first
    and last 8 units, deep models as their first and last 6 columns. If the loss becomes NaN or Inf,
    training stops there, the page shows the steps before and says so, and the model keeps its last
    finite weights.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"explain: model must be a tinygraph Layer, got {checks.describe(model)}")
    if not isinstance(loss, Loss):
        raise TypeError(f"explain: loss must be a tinygraph Loss, got {checks.describe(loss)}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"explain: optimizer must be a tinygraph Optimizer, got {checks.describe(optimizer)}")
    steps = checks.integer("explain", "steps", steps, minimum=0)
    every = checks.integer("explain", "every", every)
    name = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not isinstance(name, str):
        raise TypeError(f"explain: path must be a file name (a str or a pathlib.Path), got {checks.describe(path)}")
    directory = os.path.dirname(os.path.abspath(name))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"explain: cannot write {name}: the directory {directory} does not exist")
    if os.path.isdir(name):
        raise IsADirectoryError(f"explain: cannot write {name}: it is a directory; give the page a file name")
    check_reduced("explain", loss)
    inputs, target = check_data(model, X, target, "X", "target", owner="explain")
    if len(inputs) != 1:
        raise ValueError(f"explain: the page draws a model of one input; this one takes {len(inputs)}")
    X = inputs[0]
    check_finite_parameters(model, "explain")
    run = train_and_record(model, loss, optimizer, X, target, steps, every)
    page.write(name, page.build(run.describe(title=f"tinygraph explain: {model!r}")))
    return path
