"""The function a gradient check differentiates, evaluated again and again as one and the same function.

For a layer with inputs `xs` and outputs `ys` that is the scalar `s = sum_k sum(dy_k * y_k)`, with a
random upstream gradient `dy_k` for each float output (an all-ones one would hide a backward that
ignores `dy`). For a loss it is the loss itself (or `sum(dloss * loss)` for an unreduced loss).

Every evaluation must compute the same function of the tensors being perturbed, so before each
forward:

- every `np.random.Generator` a layer holds (Dropout's) is rewound, so each forward draws the same
  mask and a layer in training mode is checked as the function it computes;
- every buffer (BatchNorm's running statistics) is put back as it was: in training mode a batch
  norm is a function of the whole batch, and perturbing one sample moves every output; that is
  what is differentiated, with the statistics forward computes, not the running ones.

Integer inputs (an Embedding's indices) have no gradient: they are passed as they are and only the
parameters are checked.
"""

import numpy as np



def is_differentiable(x):
    return x.dtype.kind == "f"


class LayerFunction:
    """`s(xs, parameters)` of `model` (a float64 copy, changed freely) at `xs` (a list of arrays, ours)."""

    def __init__(self, model, xs, rng):
        self.model, self.xs = model, list(xs)
        self.generators = [
            value for layer in model.all_layers() for value in vars(layer).values() if isinstance(value, np.random.Generator)
        ]
        self.states = [g.bit_generator.state for g in self.generators]
        layers = dict(model.named_layers())
        self.buffers = []
        for name, value in model.named_buffers():
            path, _, attribute = name.rpartition(".")
            self.buffers.append((layers[path], attribute, value.copy()))
        ys = self.outputs()
        self.several_outputs = isinstance(ys, tuple)
        ys = ys if self.several_outputs else (ys,)
        self.dys = [rng.standard_normal(np.shape(y)) if is_differentiable(np.asarray(y)) else None for y in ys]
        names = ["input"] if len(self.xs) == 1 else [f"input {i}" for i in range(len(self.xs))]
        self.inputs = [(name, x) for name, x in zip(names, self.xs) if is_differentiable(x)]
        self.integer_inputs = [(name, x) for name, x in zip(names, self.xs) if not is_differentiable(x)]
        self.params = [p for _, p in model.named_parameters()]
        self.tensors = self.inputs + [(name, p.value) for name, p in model.named_parameters()]

    def rewind(self):
        for generator, state in zip(self.generators, self.states):
            generator.bit_generator.state = state
        for layer, attribute, value in self.buffers:
            setattr(layer, attribute, value.copy())

    def outputs(self):
        self.rewind()
        return self.model(*[x.copy() for x in self.xs])  # copies: a forward that writes into x spoils nothing

    def scalar(self):
        ys = self.outputs()
        ys = ys if self.several_outputs else (ys,)
        return sum(float(np.vdot(dy, y)) for dy, y in zip(self.dys, ys) if dy is not None)

    def gradients(self, scale=1.0, clear=True):
        """`[dx for each float input, grad of each parameter]` from one forward+backward with `scale * dy`.

        With `clear=False` the parameter gradients are not zeroed first (they should then add up).
        """
        if clear:
            for p in self.params:
                p.zero_grad()
        self.outputs()
        dys = [None if dy is None else scale * dy for dy in self.dys]
        dx = self.model.backward(tuple(dys) if self.several_outputs else dys[0])
        n = len(self.xs)
        if n == 1:
            dxs = [dx]
        elif isinstance(dx, tuple) and len(dx) == n:
            dxs = list(dx)
        else:  # a string: the problem, reported in the row of each input
            dxs = [f"backward returned {type(dx).__name__}, not a tuple of {n} gradients, one per input"] * n
        grads = [dx for dx, x in zip(dxs, self.xs) if is_differentiable(x)]
        return grads + [p.grad.copy() for p in self.params]

    def upstream(self, seed):
        return f"random upstream gradient dy ~ N(0, 1) (seed {seed}), s = sum(dy * y)"


class LossFunction:
    """The loss itself as the scalar (or `sum(dloss * loss)` when unreduced), of `pred` for a fixed `target`."""

    def __init__(self, loss, pred, target, rng):
        self.loss, self.pred, self.target = loss, pred, target
        self.inputs = [("pred", pred)]
        self.integer_inputs = []
        self.params = []
        self.tensors = self.inputs
        value = self.loss(self.pred, self.target)
        unreduced = isinstance(value, np.ndarray) or getattr(loss, "reduction", None) == "none"
        self.dloss = rng.standard_normal(np.shape(value)) if unreduced else None  # an unreduced loss: an array

    def scalar(self):
        value = self.loss(self.pred.copy(), self.target)
        return float(value) if self.dloss is None else float(np.vdot(self.dloss, value))

    def gradients(self, scale=1.0, clear=True):
        self.loss(self.pred.copy(), self.target)
        return [self.loss.backward() if self.dloss is None else self.loss.backward(scale * self.dloss)]

    def upstream(self, seed):
        return "the loss itself as the scalar" if self.dloss is None else f"s = sum(dloss * loss), dloss ~ N(0, 1) (seed {seed})"
