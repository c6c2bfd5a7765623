"""Recording a training run for the explain page: every `every`-th step, what each layer computed.

    for step in 0, 1, ..., steps:       optimizer.zero_grad()
                                        value = loss(model(X), target)       # entry: the forward...
                                        model.backward(loss.backward())      # ...and the backward
                                        optimizer.step()                     # (not after the last)

At a recorded step a `Recorder` from `tinygraph.inspect.trace` watches the forward and the backward
(`tinygraph.watch`: the model is not changed), so entry k holds the state after k * every updates
(and the last entry the trained model, after all `steps`, whether or not `every` divides them):
the loss computed before the next update (as `tinygraph demo` prints it), each drawn neuron's value
and gradient, each drawn weight and bias with its gradient, and the norm of every parameter and of
its gradient. For two input features the model is also run on a grid over the input plane (in eval
mode) for the decision boundary and the first hidden column's maps.
"""

import math

import numpy as np

from ..inspect.trace import Recorder
from ..text import short_repr
from ..training import keep_finite_weights
from ..watch import watching
from . import layout, plane

DIGITS = 4  # significant digits kept of the recorded values (the loss keeps all of them)


def rounded(array):
    """A float array as nested lists of floats with `DIGITS` significant digits (None for NaN or Inf).

    Each value is an integer of `DIGITS` digits divided (or multiplied) by an exact power of ten, so it
    is the float nearest to its short decimal and JSON writes it short: 0.1234, not 0.12340000000000001.
    """
    a = np.array(array, dtype=np.float64)
    nonzero = np.isfinite(a) & (a != 0)
    shift = np.clip(DIGITS - 1 - np.floor(np.log10(np.abs(a[nonzero]))), -300, 300)
    up = shift >= 0
    digits = np.round(a[nonzero] * np.power(10.0, shift))
    a[nonzero] = np.where(up, digits / np.power(10.0, np.abs(shift)), digits * np.power(10.0, np.abs(shift)))
    return a.tolist() if not (~np.isfinite(a)).any() else np.where(np.isfinite(a), a, None).tolist()


class Run:
    """The recording of one run, built step by step: `entries` (one dict per recorded step) and
    `describe()`, the JSON-ready description of the whole run that the page reads."""

    def __init__(self, model, loss, optimizer, X, target):
        self.model, self.loss, self.optimizer, self.X, self.target = model, loss, optimizer, X, target
        self.entries, self.columns, self.links, self.stopped = [], None, None, None
        self.samples = layout.samples(len(X))
        self.plane = X.ndim == 2 and X.shape[1] == 2
        self.hidden_maps = []  # per recorded step, the first hidden column's values over the grid
        if self.plane:
            self.grid, self.extent = plane.grid(X)

    def record(self, step):
        """One forward and backward, watched; returns the loss. The entry is appended by `keep`."""
        recorder = Recorder(self.model)
        with watching(recorder):
            value = self.loss(self.model(self.X, needs_dx=False), self.target)
            self.model.backward(self.loss.backward())
        if self.columns is None:  # the first recorded step lays the drawing out
            self.columns = layout.summarised(layout.columns_of(recorder.rows, self.X))
            self.links = layout.links(self.columns, recorder.rows, self.model)
        self.pending = {"step": step, "loss": value, "columns": self.values(recorder.rows), "params": self.params()}
        if self.plane:
            self.look_at_the_plane()
        return value

    def keep(self):
        self.entries.append(self.pending)

    def values(self, rows):
        """Per drawn column, per layer in it: `y` and `dy` of the drawn units for the kept samples,
        and their means over the batch (`dy` is None where no gradient came back)."""
        found = []
        for column in self.columns[1:]:
            layers = []
            for index in column["rows"]:
                row = rows[index]
                layers.append({name: self.units(value, column["units"]) for name, value in (("y", row.y), ("dy", row.dy))})
            found.append(layers)
        return found

    def units(self, value, units):
        if value is None:
            return None
        value = layout.flat(value)[:, units]
        return {"samples": rounded(value[self.samples]), "mean": rounded(value.mean(axis=0))}

    def params(self):
        """Every parameter's norm and its gradient's; the drawn weights and biases, value by value."""
        found = {name: {"norm": rounded(np.linalg.norm(p.value)), "grad_norm": rounded(np.linalg.norm(p.grad))}
                 for name, p in self.model.named_parameters()}
        parameters = dict(self.model.named_parameters())
        for before, column, link in zip(self.columns, self.columns[1:], self.links[1:]):
            for kind, name in link.items():
                p = parameters[name]
                where = np.ix_(before["units"], column["units"]) if kind == "weight" else column["units"]
                found[name].update(value=rounded(p.value[where]), grad=rounded(p.grad[where]))
        return found

    def look_at_the_plane(self):
        """The model's output over the grid (in eval mode, as `predict` runs it) and the first hidden
        column's values there."""
        recorder = Recorder(self.model)
        with watching(recorder):
            y = self.model.predict(self.grid)
        self.pending["boundary"] = plane.scores(y, self.target_range)
        hidden = self.columns[1] if len(self.columns) > 2 and not self.columns[1].get("gap") else None
        if hidden is not None:
            value = layout.flat(recorder.rows[hidden["rows"][-1]].y)[:, hidden["units"]]
            self.hidden_maps.append(np.asarray(value, dtype=np.float64))

    @property
    def target_range(self):
        return plane.target_range(plane.labels_of(self.target, 1))

    def describe(self, title):
        """The run as the page reads it (`window.tinygraphRun`)."""
        columns = []
        for column, link in zip(self.columns, self.links):
            drawn = {key: column[key] for key in ("width", "units", "paths", "names")}
            columns.append({**drawn, "gap": column.get("gap", 0), **(link or {})})
        maps, scales = plane.maps(self.hidden_maps)
        for entry, step_maps in zip(self.entries, maps):
            entry["maps"] = step_maps
        run = {
            "title": title,
            "model": repr(self.model), "loss_function": repr(self.loss), "optimizer": repr(self.optimizer),
            "n_samples": len(self.X), "input_shape": list(self.X.shape[1:]),
            "samples": [{"index": i, "x": rounded(layout.flat(self.X)[i, self.columns[0]["units"]]),
                         "target": rounded(np.asarray(self.target[i], dtype=np.float64))} for i in self.samples],
            "input_mean": rounded(layout.flat(self.X).mean(axis=0)[self.columns[0]["units"]]),
            "columns": columns, "blog": layout.blog_names(self.model, self.loss),
            "parameters": {name: list(p.value.shape) for name, p in self.model.named_parameters()},
            "layers": {path: short_repr(layer) for path, layer in self.model.named_layers()},
            "every": self.every, "stopped": self.stopped, "steps": self.entries,
        }
        if self.plane:
            run["plane"] = self.plane_description(scales)
        return run

    def plane_description(self, scales):
        kind = plane.kind_of(self.columns[-1]["width"])
        labels = plane.labels_of(self.target, 1)
        if kind == "score" and np.ndim(self.target) > 1 and np.shape(self.target)[-1] == 1:
            low, high = self.target_range
            labels = (labels - low) / (high - low)  # one output: the points take the boundary's scale
        return {"kind": kind, "grid": plane.GRID, "map_grid": plane.MAP_GRID, "extent": self.extent,
                "map_scales": scales, **plane.points(self.X, labels)}


def train_and_record(model, loss, optimizer, X, target, steps, every):
    """Train `model` for `steps` updates, recording every `every`-th step; return the `Run`.

    A loss or a value that becomes NaN or Inf (NumPy's floating-point errors are raised for the loop)
    stops training: the run keeps the entries before it and says where it stopped, and the model gets
    back the weights of the last recorded step unless all of its own are finite.
    """
    run = Run(model, loss, optimizer, X, target)
    run.every = every
    model.train()
    last_good = model.state_dict()
    step = 0
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            for step in range(steps + 1):
                optimizer.zero_grad()
                recorded = step % every == 0 or step == steps  # the trained model is always the last entry
                if recorded:
                    value = run.record(step)
                else:
                    value = loss(model(X, needs_dx=False), target)
                    model.backward(loss.backward())
                if not math.isfinite(value):
                    raise FloatingPointError(f"the loss became {value}")
                if recorded:
                    run.keep()
                    last_good = model.state_dict()
                if step < steps:
                    optimizer.step()
    except FloatingPointError as error:
        keep_finite_weights(model, last_good)
        if not run.entries:
            raise FloatingPointError(f"explain: {error} at the first step, before any update: nothing to show") from error
        run.stopped = f"training stopped at step {step}: {error} (try a smaller learning rate)"
    return run
