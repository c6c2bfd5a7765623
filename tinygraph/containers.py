"""Containers: layers made of layers. `Sequential` chains them, `Residual` adds a skip, `Parallel` fans out.

With `Sequential` and `Parallel` any series-parallel graph of layers can be written, and every
container's forward and backward stay plain code: backward visits the children in reverse.
"""

import numpy as np

from .core import Layer, as_input, in_pass, run_backward


class Sequential(Layer):
    """Run layers one after another: `y = f_k(... f_2(f_1(x)))`; backward runs them in reverse.

    A container is a layer, so containers nest. It supports `len`, indexing (a slice gives a new
    `Sequential` of the same layer objects) and iteration. Its parameters are named by position:
    `"0.weight"`, `"2.bias"`, `"1.0.weight"` for a nested one.

    >>> from tinygraph import Dense, Sigmoid
    >>> net = Sequential(Dense(3, 4), Sigmoid(), Dense(4, 1), Sigmoid())
    >>> net
    Sequential(Dense(3→4) >> Sigmoid >> Dense(4→1) >> Sigmoid)
    >>> len(net), net[0], [name for name, _ in net.named_parameters()][:2]
    (4, Dense(3→4), ['0.weight', '0.bias'])
    """

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: argument {i} must be a Layer, got {describe(layer)}")
        self.layers = list(layers)

    def forward(self, x):
        if not in_pass():  # called as net.forward(x): run as net(x), so a layer used twice keeps both inputs
            return self(x)
        for layer in self.layers:
            x = layer.forward(x)  # inside the pass already: no need to open one per layer
        return x

    can_skip_dx = True

    def backward(self, dy, need_dx=True):
        for layer in reversed(self.layers[1:]):
            dy = layer.backward(dy)
        return run_backward(self.layers[0], dy, need_dx) if self.layers else dy

    def named_members(self):
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        return nested_repr("Sequential", [repr(layer) for layer in self.layers], ">>")


class Residual(Layer):
    """A skip connection around `layer`: `y = x + f(x)`; backward sums both paths, `dx = dy + f.backward(dy)`.

    `f` must keep the shape of its input; if it does not, the first forward raises `ValueError`.

    >>> import numpy as np
    >>> from tinygraph import Dense
    >>> block = Residual(Dense(3, 3, init="zeros"))
    >>> block(np.ones((2, 3)))
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """

    def __init__(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(f"Residual: expected a Layer, got {describe(layer)}")
        self.layer = layer

    def forward(self, x):
        if not in_pass():  # called as residual.forward(x): run as residual(x), in one pass
            return self(x)
        x = as_input(self, x)
        fx = self.layer.forward(x)
        if fx.shape != x.shape:
            raise ValueError(
                f"{self!r}: the inner layer maps shape {x.shape} to {fx.shape}; x + f(x) needs f to keep the shape"
            )
        return x + fx

    can_skip_dx = True

    def backward(self, dy, need_dx=True):
        dx_inner = run_backward(self.layer, dy, need_dx)
        return dy + dx_inner if need_dx else None

    def __repr__(self):
        return nested_repr("Residual", [repr(self.layer)], "")


class Parallel(Layer):
    """The same input through every branch, merged: `concat` joins the outputs along the features, `add` sums them.

    concat: `y = [f_1(x), f_2(x), ...]`, backward splits `dy` by the branches' widths;
    add: `y = f_1(x) + f_2(x) + ...`, every branch gets all of `dy`. Either way `dx` is the sum of the
    branches' input gradients (each branch saw the same `x`).

    >>> import numpy as np
    >>> from tinygraph import Dense, Identity
    >>> Parallel(Identity(), Dense(2, 3), merge="concat")(np.ones((4, 2))).shape
    (4, 5)
    """

    MERGES = ("concat", "add")

    def __init__(self, *branches, merge="concat"):
        if not branches:
            raise ValueError("Parallel: needs at least one branch")
        for i, branch in enumerate(branches):
            if not isinstance(branch, Layer):
                raise TypeError(f"Parallel: branch {i} must be a Layer, got {describe(branch)}")
        if merge not in self.MERGES:
            raise ValueError(f"Parallel: merge must be 'concat' or 'add', got {merge!r}")
        self.branches = list(branches)
        self.merge = merge

    def forward(self, x):
        if not in_pass():  # called as parallel.forward(x): run as parallel(x), one pass for all branches
            return self(x)
        outputs = [branch.forward(x) for branch in self.branches]
        shapes = [out.shape for out in outputs]
        if self.merge == "add":
            if len(set(shapes)) > 1:
                raise ValueError(f"{self!r}: merge='add' needs branches of one shape, got {shapes}")
            self.save_for_backward(None)
            return np.sum(outputs, axis=0) if len(outputs) > 1 else outputs[0]
        if len({shape[0] for shape in shapes}) > 1 or any(len(shape) != 2 for shape in shapes):
            raise ValueError(f"{self!r}: merge='concat' needs 2-D outputs with one batch size, got {shapes}")
        widths = [shape[1] for shape in shapes]
        self.save_for_backward(widths)
        return np.concatenate(outputs, axis=1)

    can_skip_dx = True

    def backward(self, dy, need_dx=True):
        widths = self.pop_saved()
        if widths is None:
            pieces = [dy] * len(self.branches)
        else:
            if np.shape(dy)[1:] != (sum(widths),):
                raise ValueError(f"{self!r}.backward: dy has shape {np.shape(dy)}, expected (n_batch, {sum(widths)})")
            pieces = np.split(dy, np.cumsum(widths)[:-1], axis=1)
        # reverse order, so that a layer shared between branches gets its latest forward first
        dx = [run_backward(branch, piece, need_dx) for branch, piece in zip(self.branches[::-1], pieces[::-1])]
        if not need_dx:
            return None
        return np.sum(dx, axis=0) if len(dx) > 1 else dx[0]

    def named_members(self):
        for i, branch in enumerate(self.branches):
            yield str(i), branch

    def __len__(self):
        return len(self.branches)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Parallel(*self.branches[index], merge=self.merge)
        return self.branches[index]

    def __iter__(self):
        return iter(self.branches)

    def extra_repr(self):
        return f"merge={self.merge!r}"

    def __repr__(self):
        return nested_repr("Parallel", [repr(branch) for branch in self.branches], "|", self.extra_repr())


def nested_repr(name, parts, joiner, suffix="", width=100):
    """`Name(a >> b >> c, suffix)` on one line when it fits in `width`, else one part per line, indented:

        Sequential(
          Dense(64→128)
          >> ReLU
          >> Dense(128→10)
        )
    """
    args = f" {joiner} ".join(parts) + (f", {suffix}" if suffix else "")
    if len(name) + len(args) + 2 <= width and "\n" not in args:
        return f"{name}({args})"
    lines = [f"{name}("]
    for i, part in enumerate(parts):
        lead = "  " if i == 0 or not joiner else f"  {joiner} "
        lines.append(lead + part.replace("\n", "\n" + " " * len(lead)))
    if suffix:
        lines.append(f"  {suffix}")
    return "\n".join(lines + [")"])


def describe(thing):
    """How to name a non-layer in an error; a layer class gets a hint to call it."""
    if isinstance(thing, type) and issubclass(thing, Layer):
        return f"the class {thing.__name__}; create the layer first: {thing.__name__}()"
    return f"{type(thing).__name__} {thing!r:.60}"
