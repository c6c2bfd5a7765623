"""`summary(model)`: a Keras-style table of a model's layers, output widths and parameter counts.

No data is needed: the output widths come from one forward of a zero input through a copy of the
model, in eval mode, when the input width is known (from the first `Dense`, or given).
"""

import copy

import numpy as np

from .core import Layer, input_width
from .trace import recording, short_repr


class Table(str):
    """A string that shows itself as it is, so `model.summary()` prints as a table at the prompt."""

    def __repr__(self):
        return str(self)


def summary(model, n_in=None):
    """Return the summary table of `model` as a `Table` (a `str`); `n_in` overrides the input width.

    One row per place a layer appears in the model, nested layers indented under their container,
    with the output width and the number of parameter values below it. A layer that appears a second
    time is marked as shared and its parameters are not counted again.
    """
    if not isinstance(model, Layer):
        raise TypeError(f"summary: model must be a tinygraph Layer, got {type(model).__name__}")
    n_in = n_in if n_in is not None else input_width(model)
    widths = _output_widths(model, n_in) if n_in is not None else {}
    rows = [["layer", "output width", "parameters"]]
    _rows(model, "", 0, {}, widths, rows)
    total = sum(p.value.size for p in model.parameters())
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    rule = "-" * (sum(width) + 4)
    lines = [f"{rows[0][0]:<{width[0]}}  {rows[0][1]:>{width[1]}}  {rows[0][2]:>{width[2]}}", rule]
    lines += [f"{a:<{width[0]}}  {b:>{width[1]}}  {c:>{width[2]}}" for a, b, c in rows[1:]]
    lines += [rule, f"total parameters: {total:,} (trainable: {total:,})"]
    if n_in is None:
        lines.append("output widths unknown: the model does not say its input width; pass summary(n_in=...)")
    return Table("\n".join(lines))


def _output_widths(model, n_in):
    """`{path: output width}` of every layer, from one forward of zeros through a copy in eval mode."""
    probe = copy.deepcopy(model).eval()
    calls = []
    with recording(probe, calls):
        probe(np.zeros((1, n_in), dtype=probe.dtype))
    return {call.name: np.shape(call.y)[-1] for call in reversed(calls)}  # a shared layer: its first call


def _rows(layer, path, depth, seen, widths, rows):
    name = path or "net"
    if id(layer) in seen:
        rows.append(["  " * depth + f"{path} (the layer {seen[id(layer)]}, shared)", str(widths.get(seen[id(layer)], "?")), "0"])
        return
    seen[id(layer)] = name
    count = sum(p.value.size for p in layer.parameters())
    label = "  " * depth + (f"{path} " if path else "") + short_repr(layer)
    rows.append([label, str(widths.get(name, "?")), f"{count:,}"])
    for child_name, member in layer.named_members():
        if isinstance(member, Layer):
            _rows(member, f"{path}.{child_name}" if path else child_name, depth + 1, seen, widths, rows)
