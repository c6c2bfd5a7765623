"""Pictures as PNG files: loss and accuracy curves, a 2-D decision boundary, and a graph of layers.

Needs matplotlib (`pip install 'tinygraph[plot]'`), imported only when a function draws. Each figure is
a `matplotlib.figure.Figure` on its own Agg canvas, never `pyplot`: no global state, no window, and
nothing left open after the file is written.
"""

import numpy as np

from . import checks
from .graph import Graph
from .graph_text import listing

LOSS_KEYS = ("loss", "val_loss")
ACCURACY_KEYS = ("accuracy", "val_accuracy")


def plot_history(history, path, title=None, xlabel="epoch"):
    """Write the training curves to the PNG `path`: losses in one panel, accuracies (if any) in a second.

    `history` maps `"loss"` (required) and optionally `"val_loss"`, `"accuracy"`, `"val_accuracy"` to
    lists of one value per epoch (or per iteration: `xlabel="iteration"`), numbered from 1; a
    `History` from `fit` works too. `path` is a file name or a binary file object.

    >>> import io
    >>> png = io.BytesIO()
    >>> plot_history({"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.5]}, png)
    >>> png.getvalue()[1:4]
    b'PNG'
    """
    plot_run(history, path, title=title, xlabel=xlabel)


def plot_decision_boundary(predict, X, y, path, title=None, resolution=200, test=None):
    """Write the classes `predict` gives over the plane, with the points `X` coloured by label `y`, to the PNG `path`.

    X: `(n, 2)`; y: `(n,)` integer labels. `predict` maps an `(m, 2)` array to `(m, K)` class scores or
    probabilities (the class is the argmax) or to `(m, 1)` probabilities of class 1 (class 1 above 0.5),
    as `model.predict` does. It is evaluated on a `resolution x resolution` grid over the data's
    bounding box plus a 10% margin. `test=(X_test, y_test)` adds held-out points, drawn as triangles; the
    legend names each class's colour and tells the training points from the test points.

    >>> import io
    >>> X, y = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1])
    >>> png = io.BytesIO()
    >>> plot_decision_boundary(lambda x: x.sum(axis=1, keepdims=True) / 2, X, y, png)
    >>> png.getvalue()[1:4]
    b'PNG'
    """
    boundary = decision_grid("plot_decision_boundary", predict, X, y, resolution, test)
    figure, (axes,) = new_figure(1, title)
    draw_boundary(axes, *boundary)
    figure.savefig(path, format="png")


def plot_run(history, path, predict=None, X=None, y=None, title=None, xlabel="epoch", resolution=200, test=None):
    """Write one PNG with a run's curves (as `plot_history`) and, given `predict`, `X` and `y`, the
    decision boundary beside them (as `plot_decision_boundary`, with `test` as there).

    >>> import io
    >>> from tinygraph.datasets import moons
    >>> X, y = moons(50, seed=0)
    >>> png = io.BytesIO()
    >>> below = lambda x: x[:, 1:] < 0.25  # (m, 1): class 1 where x1 < 0.25
    >>> plot_run({"loss": [0.7, 0.4], "accuracy": [0.6, 0.9]}, png, below, X, y)
    >>> png.getvalue()[1:4]
    b'PNG'
    """
    panels = curve_panels(history)
    given = [value is not None for value in (predict, X, y)]
    if any(given) and not all(given):
        raise ValueError("plot_run: pass predict, X and y together to draw the decision boundary")
    boundary = decision_grid("plot_run", predict, X, y, resolution, test) if all(given) else None
    figure, axes = new_figure(len(panels) + (boundary is not None), title)
    for ax, (ylabel, curves) in zip(axes, panels):
        draw_curves(ax, ylabel, curves, xlabel)
    if boundary is not None:
        draw_boundary(axes[-1], *boundary)
    figure.savefig(path, format="png")


def plot_images(images, path, titles=None, title=None, columns=8):
    """Write a grid of grayscale pictures to the PNG `path`: digits, filters, feature maps.

    `images` is `(k, H, W)` (or `(k, 1, H, W)`, one channel); each picture gets its own grey scale, from
    its lowest value (black) to its highest (white), and `titles` (k strings) go above them, `columns`
    to a row. The feature maps of a convolution's first layer for one image are `conv(x)[0]`.

    >>> import io
    >>> png = io.BytesIO()
    >>> plot_images(np.arange(32.0).reshape(2, 4, 4), png, titles=["a", "b"])
    >>> png.getvalue()[1:4]
    b'PNG'
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"plot_images: images must have shape (k, H, W) with k >= 1, got {images.shape}")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"plot_images: {len(images)} images but {len(titles)} titles")
    columns = min(checks.integer("plot_images", "columns", columns), len(images))
    rows = -(-len(images) // columns)
    figure, _ = new_figure(0, title, grid=(rows, columns), size=1.6)
    for i, (ax, picture) in enumerate(zip(figure.axes, images)):
        ax.imshow(picture, cmap="gray", interpolation="nearest")
        ax.set_title(titles[i] if titles is not None else "", fontsize=8)
    for ax in figure.axes:
        ax.set_axis_off()
    figure.savefig(path, format="png")


def curve_panels(history):
    """`[(ylabel, {key: values})]`: the losses, then the accuracies if `history` has any."""
    history = getattr(history, "history", history)  # a History from fit, or its dict
    if not len(history.get("loss", ())):
        raise ValueError(f"plot: history needs a non-empty 'loss' list, got keys {sorted(history)}")
    losses = {key: history[key] for key in LOSS_KEYS if len(history.get(key, ()))}
    accuracies = {key: history[key] for key in ACCURACY_KEYS if len(history.get(key, ()))}
    return [("loss", losses)] + ([("accuracy", accuracies)] if accuracies else [])


def points(function, X, y, x_name="X", y_name="y"):
    """`X` `(n, 2)` as floats and `y` as `(n,)`, or a `ValueError` naming them."""
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2 or len(X) == 0:
        raise ValueError(f"{function}: {x_name} must have shape (n, 2) with n >= 1 (2-D inputs), got {X.shape}")
    if len(y) != len(X):
        raise ValueError(f"{function}: {x_name} has {len(X)} samples but {y_name} has {len(y)}")
    return X, y


def decision_grid(function, predict, X, y, resolution, test=None):
    """The grid `(xx, yy, classes)` of `predict`'s classes over the points' bounding box, with the points
    `[(X, y, label)]` (the training points, and the test points if any) and `n_classes`."""
    sets = [(*points(function, X, y), "training" if test is not None else "data")]
    if test is not None:
        if not isinstance(test, tuple) or len(test) != 2:
            raise ValueError(f"{function}: test must be a pair (X_test, y_test), got {checks.describe(test)}")
        sets.append((*points(function, *test, "X_test", "y_test"), "test"))
    checks.integer(function, "resolution", resolution, minimum=2)
    every = np.concatenate([X for X, _, _ in sets])
    low, high = every.min(axis=0), every.max(axis=0)
    margin = 0.1 * np.where(high > low, high - low, 1.0)  # also a visible square around a single point
    xx, yy = np.meshgrid(*(np.linspace(a, b, resolution) for a, b in zip(low - margin, high + margin)))
    scores = np.asarray(predict(np.column_stack([xx.ravel(), yy.ravel()])))
    if scores.ndim != 2 or scores.shape[0] != xx.size or scores.shape[1] == 0:
        raise ValueError(f"{function}: predict must return shape ({xx.size}, K) or ({xx.size}, 1), got {scores.shape}")
    classes = scores.argmax(axis=1) if scores.shape[1] > 1 else (scores[:, 0] > 0.5).astype(int)
    n_classes = max(scores.shape[1], 2, *(int(y.max()) + 1 for _, y, _ in sets))
    return xx, yy, classes.reshape(xx.shape), sets, n_classes


def new_figure(n_axes, title, grid=None, size=None):
    """A figure of `n_axes` side by side on an Agg canvas, and its axes (or a `grid` of `(rows, columns)`
    axes of `size` inches each)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError("plotting needs matplotlib: pip install 'tinygraph[plot]'") from error
    rows, columns = grid or (1, n_axes)
    figure = Figure(figsize=(size * columns, size * rows + 0.4) if size else (4.5 * n_axes, 4), layout="constrained")
    FigureCanvasAgg(figure)
    if title:
        figure.suptitle(title)
    return figure, figure.subplots(rows, columns, squeeze=False).ravel() if grid else figure.subplots(1, n_axes, squeeze=False)[0]


def draw_curves(ax, ylabel, curves, xlabel):
    """One line per curve against 1, 2, ..., training and validation told apart by the legend.

    The axis starts at 0 (a loss of 0, an accuracy of 0), so that a change looks as large as it is: a
    loss from 0.5065 to 0.4980 is a 1.7% drop, not a collapse to the bottom of the picture."""
    for key, values in curves.items():
        label = "validation" if key.startswith("val_") else "training"
        marker = "o" if len(values) == 1 else None  # a line through one point would draw nothing
        ax.plot(np.arange(1, len(values) + 1), values, label=label, marker=marker)
    ax.set_ylim(bottom=min(0.0, *(np.min(values) for values in curves.values())))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend()
    ax.grid(alpha=0.3)


def draw_boundary(ax, xx, yy, classes, sets, n_classes):
    """The predicted classes as filled regions, the points coloured by their labels on top (training
    points as circles, test points as triangles), and a legend of both."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    # class k gets the k-th colour of the default cycle, both in the plane and on the points
    colours = dict(cmap=ListedColormap([f"C{k % 10}" for k in range(n_classes)]), vmin=-0.5, vmax=n_classes - 0.5)
    ax.contourf(xx, yy, classes, levels=np.arange(n_classes + 1) - 0.5, alpha=0.3, **colours)
    for (X, y, label), marker in zip(sets, "o^"):
        ax.scatter(X[:, 0], X[:, 1], c=y, s=12 if marker == "o" else 22, marker=marker, edgecolors="k",
                   linewidths=0.3, label=f"{label} ({len(X)})", **colours)
    handles, _ = ax.get_legend_handles_labels()
    for handle in handles:  # the marker's shape says training or test; its colour is the class's
        handle.set_facecolor("white")
    classes_seen = [Patch(facecolor=f"C{k % 10}", alpha=0.6, label=f"class {k}") for k in range(n_classes)]
    ax.legend(handles=handles + classes_seen, fontsize=7, loc="best")
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.set_title("decision boundary")


def plot_graph(graph, path, title=None):
    """Write a picture of `graph` (a `Graph`) to the PNG `path`: a box per node, an arrow per value it takes.

    Inputs are at the top; each call sits one row below the lowest of the nodes it takes, so values
    flow down. A box shows the node's name and its layer (a layer called again shows the name of its
    first call: `shares dense`); inputs and outputs are drawn in colour.
    """
    if not isinstance(graph, Graph):
        raise TypeError(f"plot_graph: expected a tinygraph Graph, got {checks.describe(graph)}")
    names = graph.names
    box_of = {names[node]: names[node] for node in graph.inputs}  # node name -> the box it comes out of
    box_of.update((names[node], names[call]) for call in graph.calls for node in call.outputs)
    rows, level = listing(graph, width=24), {}
    for name, _, takes, _ in rows:
        level[name] = 1 + max((level[box_of[node]] for node in takes), default=-1)
    n_levels = max(level.values()) + 1
    per_level = [[row for row in rows if level[row[0]] == i] for i in range(n_levels)]
    figure, (ax,) = new_figure(1, title)
    figure.set_size_inches(max(3.0, 2.3 * max(map(len, per_level))), 0.5 + 1.0 * n_levels)
    ax.set_axis_off()
    outputs = {box_of[names[node]] for node in graph.outputs}
    boxes = {}
    for i, row_nodes in enumerate(per_level):
        for j, (name, label, _, again) in enumerate(row_nodes):
            text = f"{name}\nshares {label}" if again else f"{name}\n{label}"
            colour = "#cfe2f3" if label == "Input" else "#fce5cd" if name in outputs else "#f3f3f3"
            boxes[name] = ax.text((j + 0.5) / len(row_nodes), 1 - (i + 0.5) / n_levels, text, ha="center", va="center",
                                  fontsize=9, bbox=dict(boxstyle="round,pad=0.4", facecolor=colour, edgecolor="#555555"))
    for name, _, takes, _ in rows:
        for node in takes:
            ax.annotate("", xy=(0.5, 1.0), xycoords=boxes[name], xytext=(0.5, 0.0), textcoords=boxes[box_of[node]],
                        arrowprops=dict(arrowstyle="-|>", color="#555555", shrinkA=2, shrinkB=2))
    figure.savefig(path, format="png")
