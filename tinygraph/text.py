"""How tinygraph prints: the one table printer, layer reprs, and the summary table.

Nothing here knows a layer class: it reads what every layer has (`named_members()`, `extra_repr()`,
`parameters()`), so the bottom of the package can print and the top can reuse the same printer
(gradcheck's report, trace's record, the command line's tables).
"""

import numpy as np

from .parameter import Parameter


class Table(str):
    """A string that shows itself as it is, so a table returned at the prompt prints as a table."""

    def __repr__(self):
        return str(self)


def table(header, rows, *, right=(), indent="", rule=False):
    """The lines of a text table: each column as wide as its widest cell, `right` columns right-aligned.

    `rule` draws a line of dashes under the header and after the last row.

    >>> print("\\n".join(table(["layer", "params"], [["Dense(3→4)", "16"], ["Sigmoid", "0"]], right={1})))
    layer       params
    Dense(3→4)      16
    Sigmoid          0
    """
    cells = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row):
        padded = [cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        return (indent + "  ".join(padded)).rstrip()

    lines = [line(row) for row in cells]
    if rule:
        dashes = indent + "-" * (sum(widths) + 2 * (len(widths) - 1))
        lines = [lines[0], dashes, *lines[1:], dashes]
    return lines


def capped(items, limit=5):
    """A list for an error message, at most `limit` items shown: `['a', 'b', ... and 78 more]`, or `nothing`.

    >>> capped([str(i) for i in range(100)], 3)
    "['0', '1', '2', ... and 97 more]"
    """
    if not items:
        return "nothing"
    shown = ", ".join(repr(item) for item in items[:limit])
    return f"[{shown}, ... and {len(items) - limit:,} more]" if len(items) > limit else f"[{shown}]"


def short_repr(layer):
    """A layer's class name and arguments, without its children: `Dense(3→4)`, `Parallel(merge='add')`."""
    args = layer.extra_repr()
    return f"{type(layer).__name__}({args})" if args else type(layer).__name__


def nested_repr(name, parts, joiner, suffix="", width=100):
    """`Name(a >> b >> c, suffix)` on one line when it fits in `width`, else one part per line, indented:

        Sequential(
          Dense(64→128)
          >> ReLU
          >> Dense(128→10)
        )
    """
    return _text(_nested_block(name, [_block(part) for part in parts], joiner, suffix, width))


def model_repr(layer, generic):
    """`repr(layer)` for a layer of layers nested to any depth, built without recursion.

    A layer whose `nested_parts()` gives `(name, children, joiner, suffix)` shows as
    `nested_repr(name, [repr of each child], joiner, suffix)`, any other as `short_repr(layer)`. A
    child whose class has its own `__repr__` (not `generic`, the one that calls this) shows by it.
    """
    blocks, opened = {}, set()
    stack = [layer]
    while stack:
        item = stack[-1]
        if id(item) in blocks:
            stack.pop()
            continue
        ours = item is layer or type(item).__repr__ is generic
        parts = item.nested_parts() if ours else None
        if parts is None:
            blocks[id(item)] = _block(short_repr(item) if ours else repr(item))
            continue
        name, children, joiner, suffix = parts
        waiting = [child for child in children if id(child) not in blocks and id(child) not in opened]
        if waiting and id(item) not in opened:
            opened.add(id(item))
            stack.extend(reversed(waiting))
            continue
        shown = [blocks.get(id(child)) or _block(f"{type(child).__name__}(...)") for child in children]  # (...): holds itself
        blocks[id(item)] = _nested_block(name, shown, joiner, suffix)
        opened.discard(id(item))
    return _text(blocks[id(layer)])


# A block is a text as a list of lines `(indent, text)`: nesting one more level changes only the
# indents, so a repr nested d deep costs time in proportion to its length, not d times more.


def _block(text):
    return [(0, line) for line in text.split("\n")]


def _text(block):
    return "\n".join(" " * indent + line for indent, line in block)


def _nested_block(name, blocks, joiner, suffix, width=100):
    if all(len(block) == 1 for block in blocks):
        args = f" {joiner} ".join(block[0][1] for block in blocks) + (f", {suffix}" if suffix else "")
        if len(name) + len(args) + 2 <= width:
            return [(0, f"{name}({args})")]
    lines = [(0, f"{name}(")]
    for i, block in enumerate(blocks):
        lead = "  " if i == 0 or not joiner else f"  {joiner} "
        lines.append((0, lead + block[0][1]))
        lines.extend((indent + len(lead), line) for indent, line in block[1:])
    if suffix:
        lines.append((0, f"  {suffix}"))
    lines.append((0, ")"))
    return lines


def summary_table(model, shapes, unknown="output shapes unknown: the model does not say its input shape; "
                                          "pass summary(input_shape=...)"):
    """The text of `model.summary()`: one row per place a layer appears, nested layers indented under
    their container, with the shape of one sample of its output (from `shapes`, `{path: shape}`, or
    None when unknown) and the number of parameter values below it. A layer that appears again is
    marked as shared and its parameters are not counted twice. Without shapes, `unknown` says why."""
    rows = []
    seen = {}
    stack = [("", 0, model)]
    while stack:  # depth first, parents before children, without recursion
        path, depth, layer = stack.pop()
        indent = "  " * depth
        if id(layer) in seen:
            first = seen[id(layer)]
            rows.append([f"{indent}{path} (the layer {first}, shared)", _shape((shapes or {}).get(first)), "0"])
            continue
        seen[id(layer)] = path
        count = sum(p.value.size for p in layer.parameters())
        shape = (shapes or {}).get(path)
        rows.append([indent + (f"{path} " if path else "") + short_repr(layer), _shape(shape), f"{count:,}"])
        children = [(n, m) for n, m in layer.named_members() if not isinstance(m, Parameter)]
        for child, member in reversed(children):
            stack.append((f"{path}.{child}" if path else child, depth + 1, member))
    total = sum(p.value.size for p in model.parameters())
    lines = table(["layer", "output shape", "parameters"], rows, right={1, 2}, rule=True)
    lines.append(f"total parameters: {total:,} (trainable: {total:,})")
    if shapes is None:
        lines.append(unknown)
    return "\n".join(lines)


def _shape(shape):
    if shape is None:
        return "?"
    if shape and isinstance(shape[0], tuple):
        return ", ".join(_shape(s) for s in shape)
    return "(n, " + ", ".join(str(int(n)) for n in shape) + ")" if shape else "(n,)"


def number(value):
    """A float for a table cell: 6 significant digits, `-` for None."""
    return "-" if value is None else f"{value:.6g}"


def norm(array):
    """The Euclidean norm of an array for a table cell, `-` for None."""
    return "-" if array is None else f"{np.linalg.norm(np.asarray(array, dtype=np.float64)):.4g}"
