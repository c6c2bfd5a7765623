"""What the explain page draws: the model as columns of neurons, wide and deep models summarised.

A *column* is what the page draws as one row of circles. The input is the first column. Then every
layer that holds no other layer (a leaf: `Dense`, `Sigmoid`, ...) starts a new column, except a layer
without parameters whose output has the shape of the column's value (an activation, `Dropout`): it
joins the column, as a neuron is a weighted sum and its activation. So `Dense >> Sigmoid` is one
column whose value is the sigmoid's output and whose delta is the gradient at the weighted sum.

Each sample's values are flattened, so a column of any rank is a list of units. At most `MAX_UNITS`
units of a column are drawn (the first and the last halves), and at most `MAX_COLUMNS` columns (the
first and the last halves); what is left out is counted on the page, never refused.
"""

import numpy as np

from ..containers import Sequential
from ..layers import Dense, Sigmoid
from ..losses import SumSquaredError
from ..parameter import Parameter
from ..text import short_repr

MAX_UNITS = 16
MAX_COLUMNS = 12
MAX_SAMPLES = 4


def shown(n, most):
    """The indices of `n` items that are drawn: all of them, or the first and last `most // 2`."""
    if n <= most:
        return list(range(n))
    return list(range(most // 2)) + list(range(n - most // 2, n))


def samples(n):
    """The samples whose values are kept, spread evenly over the data (the batch mean is kept too)."""
    return sorted(set(np.linspace(0, n - 1, min(n, MAX_SAMPLES)).round().astype(int).tolist()))


def is_leaf(layer):
    return not any(not isinstance(member, Parameter) for _, member in layer.named_members())


def own_parameters(layer):
    return [(name, member) for name, member in layer.named_members() if isinstance(member, Parameter)]


def flat(array):
    """`(N, ...)` as `(N, units)`."""
    return np.asarray(array).reshape(len(array), -1)


def columns_of(rows, X):
    """The columns of the model that made the trace `rows` (one `Call` per layer call, forward order).

    Returns a list of dicts: `width`, `units` (the drawn ones), `rows` (indices into `rows` of the layer
    calls in the column, its first one holding the weights), `paths` and `names` of those layers.
    """
    columns = [{"width": flat(X).shape[1], "rows": [], "paths": [], "names": ["input"]}]
    shape = None  # the shape of the current column's value, None for the input column
    for index, row in enumerate(rows):
        if not is_leaf(row.layer) or not isinstance(row.y, np.ndarray):
            continue  # containers, and layers of several outputs, are seen through their leaves
        if shape is not None and not own_parameters(row.layer) and row.y.shape == shape:
            column = columns[-1]
        else:
            column = {"width": flat(row.y).shape[1], "rows": [], "paths": [], "names": []}
            columns.append(column)
        column["rows"].append(index)
        column["paths"].append(row.name)
        column["names"].append(short_repr(row.layer))
        shape = row.y.shape
    for column in columns:
        column["units"] = shown(column["width"], MAX_UNITS)
    return columns


def links(columns, rows, model):
    """For each column after the input, how its first layer's parameters are drawn (a dict per column).

    `weight`: a parameter of shape `(width of the column before, width of this one)`, drawn as lines
    between the two columns (unless the column before is not drawn); `bias`: a parameter of shape
    `(width,)`, shown with each neuron. Both name the parameter as `model.named_parameters()` does.
    """
    names = {id(p): name for name, p in model.named_parameters()}
    found = [None]
    for before, column in zip(columns, columns[1:]):
        link = {}
        for _, p in own_parameters(rows[column["rows"][0]].layer) if column["rows"] else ():
            if p.value.shape == (before["width"], column["width"]) and "weight" not in link and not before.get("gap"):
                link["weight"] = names[id(p)]
            elif p.value.shape == (column["width"],) and "bias" not in link:
                link["bias"] = names[id(p)]
        found.append(link)
    return found


def summarised(columns):
    """At most `MAX_COLUMNS` columns: the first and last halves, with one gap column between them."""
    if len(columns) <= MAX_COLUMNS:
        return columns
    half = MAX_COLUMNS // 2
    left_out = columns[half:-half]
    gap = {"gap": len(left_out), "width": 0, "units": [], "rows": [], "paths": [p for c in left_out for p in c["paths"]],
           "names": []}
    return columns[:half] + [gap] + columns[-half:]


ARTICLE_FORMULAS = [
    "l1 = sigmoid(l0 @ synapses_0)",
    "l2 = sigmoid(l1 @ synapses_1)",
    "l2_delta = (y - l2) * l2 * (1 - l2)",
    "l1_delta = (l2_delta @ synapses_1.T) * l1 * (1 - l1)",
    "synapses_1 += l1.T @ l2_delta",
    "synapses_0 += l0.T @ l1_delta",
]


def blog_names(model, loss):
    """The blog's names for the article's network (Dense >> Sigmoid >> Dense >> Sigmoid, no biases,
    trained on `SumSquaredError`, whose gradient is the blog's `l2 - y`); None for any other model."""
    kinds = [type(layer) for layer in model] if isinstance(model, Sequential) else []
    if kinds != [Dense, Sigmoid, Dense, Sigmoid] or model[0].bias is not None or model[2].bias is not None:
        return None
    if type(loss) is not SumSquaredError:
        return None
    return {
        "columns": ["l0", "l1", "l2"],
        "deltas": [None, "l1_delta", "l2_delta"],
        "weights": [None, "synapses_0", "synapses_1"],
        "formulas": ARTICLE_FORMULAS,
    }
