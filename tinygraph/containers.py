"""Containers: layers made of layers. `Sequential` chains them, `Residual` adds a skip, `Parallel` fans out.

Each is plain code: forward calls its children as `layer(x)`, backward visits them in reverse and
adds up the gradients where one input fed several of them. (For graphs that are not series-parallel,
see `tinygraph.graph`.)
"""

import numpy as np

from . import checks
from .layer import Layer


class Container(Layer):
    """A layer holding an ordered list of child layers `self.layers`, named `"0"`, `"1"`, ... in paths.

    It supports `len`, indexing (a slice gives a new container of the same kind and settings, holding
    the same layer objects) and iteration. Its input goes to its children as it is: they check it.
    """

    def __init__(self, layers):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"{type(self).__name__}: argument {i} must be a Layer, got {checks.describe(layer)}")
        self.layers = list(layers)

    passes_none = True  # backward passes None on: see tinygraph.calls
    checks_every_input = False  # its input goes to its children as it is: they check it

    def as_input(self, x):
        return x

    def named_members(self):
        for i, layer in enumerate(self.layers):
            yield str(i), layer

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.with_layers(self.layers[index])
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)

    def with_layers(self, layers):
        """A container like this one holding `layers` (what a slice gives)."""
        return type(self)(*layers)


class Sequential(Container):
    """Run layers one after another: `y = f_k(... f_2(f_1(x)))`; backward runs them in reverse.

    Its parameters are named by position: `"0.weight"`, `"2.bias"`, `"1.0.weight"` for a nested one.

    >>> from tinygraph import Dense, Sigmoid
    >>> net = Sequential(Dense(3, 4), Sigmoid(), Dense(4, 1), Sigmoid())
    >>> net
    Sequential(Dense(3→4) >> Sigmoid >> Dense(4→1) >> Sigmoid)
    >>> len(net), net[0], [name for name, _ in net.named_parameters()][:2]
    (4, Dense(3→4), ['0.weight', '0.bias'])
    """

    def __init__(self, *layers):
        super().__init__(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def backward(self, dy):
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
        return dy

    def nested_parts(self):
        return "Sequential", self.layers, ">>", ""


class Residual(Layer):
    """A skip connection around `layer`: `y = x + f(x)`; backward sums both paths, `dx = dy + f.backward(dy)`.

    `f` must keep the shape of its input; if it does not, the first forward raises `ValueError`.

    >>> from tinygraph import Dense
    >>> block = Residual(Dense(3, 3, init="zeros"))
    >>> block(np.ones((2, 3)))
    array([[1., 1., 1.],
           [1., 1., 1.]])
    """

    passes_none = True  # backward passes None on: see tinygraph.calls

    def __init__(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(f"Residual: expected a Layer, got {checks.describe(layer)}")
        self.layer = layer

    def forward(self, x):
        fx = self.layer(x)
        if fx.shape != x.shape:
            raise ValueError(
                f"{self!r}: the inner layer maps shape {x.shape} to {fx.shape}; x + f(x) needs f to keep the shape"
            )
        return x + fx

    def backward(self, dy):
        dx_inner = self.layer.backward(dy)
        if self.needs_dx:
            return dy + dx_inner

    def nested_parts(self):
        return "Residual", [self.layer], "", ""


class Parallel(Container):
    """The same input through every branch, merged: `concat` joins the outputs along `axis`, `add` sums them.

    concat: `y = [f_1(x), f_2(x), ...]` along `axis` (the last by default; `axis=1` for the channels
    of NCHW images), backward splits `dy` by the branches' sizes along it; add: `y = f_1(x) + f_2(x) + ...`,
    every branch gets all of `dy`. Either way `dx` is the sum of the branches' input gradients (each
    branch saw the same `x`).

    >>> from tinygraph import Dense, Identity
    >>> Parallel(Identity(), Dense(2, 3), merge="concat")(np.ones((4, 2))).shape
    (4, 5)
    """

    MERGES = ("concat", "add")

    def __init__(self, *branches, merge="concat", axis=-1):
        if not branches:
            raise ValueError("Parallel: needs at least one branch")
        for i, branch in enumerate(branches):
            if not isinstance(branch, Layer):
                raise TypeError(f"Parallel: branch {i} must be a Layer, got {checks.describe(branch)}")
        super().__init__(branches)
        self.merge = checks.choice("Parallel", "merge", merge, self.MERGES)
        self.axis = checks.integer("Parallel", "axis", axis, minimum=None)

    @property
    def branches(self):
        return self.layers

    def forward(self, x):
        outputs = [branch(x) for branch in self.layers]
        shapes = [y.shape for y in outputs]
        if self.merge == "add":
            if len(set(shapes)) > 1:
                raise ValueError(f"{self!r}: merge='add' needs branches of one shape, got {shapes}")
            self.save_for_backward(None)
            return sum(outputs[1:], outputs[0])
        ndim = outputs[0].ndim
        axis = self.axis % ndim if -ndim <= self.axis < ndim else 0
        if axis == 0 or any(len(shape) != ndim for shape in shapes) or len(
            {shape[:axis] + shape[axis + 1 :] for shape in shapes}
        ) > 1:
            raise ValueError(
                f"{self!r}: merge='concat' along axis {self.axis} needs outputs that agree on every other axis "
                f"(and it cannot be the batch axis), got {shapes}"
            )
        sizes = [shape[axis] for shape in shapes]
        self.save_for_backward(np.cumsum(sizes)[:-1], axis)
        return np.concatenate(outputs, axis=axis)

    def backward(self, dy):
        saved = self.pop_saved()
        pieces = [dy] * len(self.layers) if saved is None else np.split(dy, saved[0], axis=saved[1])
        # reverse order, so that a layer shared between branches takes its latest forward first
        dxs = [branch.backward(piece) for branch, piece in zip(self.layers[::-1], pieces[::-1])]
        dxs = [dx for dx in dxs if dx is not None]  # None: a branch whose input has no gradient
        if self.needs_dx and dxs:
            return sum(dxs[1:], dxs[0])

    def with_layers(self, layers):
        return Parallel(*layers, merge=self.merge, axis=self.axis)

    def extra_repr(self):
        return f"merge={self.merge!r}" + ("" if self.axis == -1 else f", axis={self.axis}")

    def nested_parts(self):
        return "Parallel", self.layers, "|", self.extra_repr()
