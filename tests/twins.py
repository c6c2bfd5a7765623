"""Broken twins: layers and losses with one deliberate bug each, to prove that the checks catch it.

Each twin differs from the real thing in exactly one line of its backward, named in its docstring.
"""

import contextlib

import numpy as np

import tinygraph as tg
from tinygraph.graph import several
from tinygraph.layers.patches import Patches


class WrongFactorSigmoid(tg.Sigmoid):
    """dx = 2 * dy * y * (1 - y): a factor of 2 too many."""

    def backward(self, dy):
        return 2 * super().backward(dy)


class IgnoresUpstreamTanh(tg.Tanh):
    """dx = 1 - y**2: forgets to multiply by dy (an all-ones upstream gradient would hide it)."""

    def backward(self, dy):
        y = self.pop_saved()
        return 1.0 - y * y


class ForgetsBiasDense(tg.Dense):
    """Never adds into bias.grad."""

    def backward(self, dy):
        x = self.pop_saved()
        self.weight.grad += x.T @ dy
        return dy @ self.weight.value.T


class WrongSignReLU(tg.ReLU):
    """dx = -dy * mask."""

    def backward(self, dy):
        return -super().backward(dy)


class OverwritesGradDense(tg.Dense):
    """weight.grad = x.T @ dy: overwrites instead of accumulating (a shared layer would lose a use)."""

    def backward(self, dy):
        x = self.pop_saved()
        self.weight.grad[...] = x.T @ dy
        if self.bias is not None:
            self.bias.grad += dy.sum(axis=0)
        return dy @ self.weight.value.T


class NoisyBackwardTanh(tg.Tanh):
    """Adds noise from fresh OS entropy, far below the tolerance, to dx: only the determinism check sees it.

    (Randomness from a Generator the layer holds, like Dropout's, is rewound by gradcheck and so counts
    as part of the function; this noise comes from nowhere gradcheck can rewind.)
    """

    def backward(self, dy):
        dx = super().backward(dy)
        return dx + 1e-12 * np.random.default_rng().standard_normal(dx.shape)


class HalfGradientMSE(tg.MSE):
    """dpred = (pred - target) / n: forgets the 2 of the square."""

    def backward(self, dloss):
        return super().backward(dloss) / 2


class WrongSignBCE(tg.BinaryCrossEntropy):
    """dpred = -(p - t) / (p (1 - p)) / n."""

    def backward(self, dloss):
        return -super().backward(dloss)


class NoMeanSoftmaxCrossEntropy(tg.SoftmaxCrossEntropy):
    """Forgets to divide by n_batch (the loss is a mean, so the gradient must be too)."""

    def backward(self, dloss):
        dpred = super().backward(dloss)
        return dpred * dpred.shape[0]


BROKEN_LAYERS = [WrongFactorSigmoid, IgnoresUpstreamTanh, WrongSignReLU, NoisyBackwardTanh]


class MutatesInputTanh(tg.Tanh):
    """Computes tanh in place, overwriting the caller's x."""

    def forward(self, x):
        y = np.tanh(x, out=x)
        self.save_for_backward(y)
        return y


class MutatesUpstreamSigmoid(tg.Sigmoid):
    """Scales dy in place: a container that hands one dy to two branches would feed the second a wrong one."""

    def backward(self, dy):
        y = self.pop_saved()
        dy *= y * (1.0 - y)
        return dy


class SneakyDecayDense(tg.Dense):
    """Folds a tiny L2 penalty into backward: within gradcheck's tolerance, but dy = 0 still moves W."""

    def backward(self, dy):
        dx = super().backward(dy)
        self.weight.grad += 1e-8 * self.weight.value
        return dx


class Float32BackwardTanh(tg.Tanh):
    """Returns dx in float32 whatever the model's dtype: numerically close, but the next layer casts it silently."""

    def backward(self, dy):
        return super().backward(dy).astype(np.float32)


def every_kind_of_bug():
    """`[(kind, make)]`: one twin of every kind of backprop bug, each a layer `make()` of 3 features in and out.

    Wrong factor, sign, ignored upstream, forgotten parameter gradient, overwrite instead of add,
    input mutation, upstream mutation, nondeterminism, wrong dtype, and a penalty folded into backward.
    """
    return [
        ("wrong factor", WrongFactorSigmoid),
        ("wrong sign", WrongSignReLU),
        ("ignored upstream", IgnoresUpstreamTanh),
        ("forgotten parameter gradient", lambda: ForgetsBiasDense(3, 3, rng=5)),
        ("overwrite instead of add", lambda: OverwritesGradDense(3, 3, rng=6)),
        ("input mutation", MutatesInputTanh),
        ("upstream mutation", MutatesUpstreamSigmoid),
        ("nondeterminism", NoisyBackwardTanh),
        ("wrong dtype", Float32BackwardTanh),
        ("penalty folded into backward", lambda: SneakyDecayDense(3, 3, rng=7)),
    ]

# -- graphs of layers ------------------------------------------------------------------------------------
# Each is tg.Graph with one line of its backward changed.


class OverwritingGraph(tg.Graph):
    """grads[node] = dx: a node that feeds several calls keeps only the last gradient instead of their sum."""

    def backward(self, dy):
        grads = {}
        for node, dy_out in zip(self.outputs, self.output_grads(dy)):
            grads[node] = grads[node] + dy_out if node in grads else dy_out
        for call in reversed(self.calls):
            dys = [grads.pop(node, None) for node in call.outputs]
            dxs = call.layer.backward(dys[0] if len(dys) == 1 else tuple(dys))
            for node, dx in zip(call.inputs, several(dxs, len(call.inputs), call)):
                if dx is not None:
                    grads[node] = dx  # the bug: tg.Graph adds to what is there
        dxs = [grads.get(node) for node in self.inputs]
        return dxs[0] if len(dxs) == 1 else tuple(dxs)


class DepthOrderGraph(tg.Graph):
    """Runs the calls' backwards deepest first, and calls of one depth in forward order: still a valid order for
    the gradients to flow, but not the reverse of the forwards, so a layer called twice at one depth has each
    backward take the other call's forward (each backward takes the most recent forward)."""

    def backward(self, dy):
        grads = {}
        for node, dy_out in zip(self.outputs, self.output_grads(dy)):
            grads[node] = grads[node] + dy_out if node in grads else dy_out
        for call in sorted(self.calls, key=depth_from_inputs(self), reverse=True):  # the bug: not reversed(...)
            dys = [grads.pop(node, None) for node in call.outputs]
            dxs = call.layer.backward(dys[0] if len(dys) == 1 else tuple(dys))
            for node, dx in zip(call.inputs, several(dxs, len(call.inputs), call)):
                if dx is not None:
                    grads[node] = grads[node] + dx if node in grads else dx
        dxs = [grads.get(node) for node in self.inputs]
        return dxs[0] if len(dxs) == 1 else tuple(dxs)


def depth_from_inputs(graph):
    """`call -> (its depth, minus its position)`: sorted in reverse, deepest first, one depth in forward order."""
    depth = {node: 0 for node in graph.inputs}
    for call in graph.calls:
        for node in call.outputs:
            depth[node] = 1 + max(depth[x] for x in call.inputs)
    position = {call: i for i, call in enumerate(graph.calls)}
    return lambda call: (depth[call.outputs[0]], -position[call])

class UnclippedHuber(tg.Huber):
    """dpred = (pred - target) * dloss: forgets that beyond delta the slope is ±delta."""

    def backward(self, dloss):
        return dloss * self.pop_saved()


class IgnoresUpstreamL1(tg.L1):
    """dpred = sign(pred - target): forgets dloss (a random upstream gradient shows it, reduction='none')."""

    def backward(self, dloss):
        return np.sign(self.pop_saved())


class ForgetsPosWeightBCEWithLogits(tg.BCEWithLogits):
    """dpred = weight * (sigmoid(x) - t) * dloss: the gradient forgets pos_weight (the value keeps it)."""

    def backward(self, dloss):
        t, sigmoid, weight, pos_weight, log_weight = self.pop_saved()
        return weight * dloss * (sigmoid - t)


# -- averaging rules of the loss options: each twin breaks one rule PyTorch follows ------------------


class CountMeanSoftmaxCrossEntropy(tg.SoftmaxCrossEntropy):
    """A weighted mean that divides by the number of counted labels, not by the sum of their weights."""

    def counted_weight(self, labels, counted):
        return labels.size if counted is None else np.count_nonzero(counted)


class CountsIgnoredSoftmaxCrossEntropy(tg.SoftmaxCrossEntropy):
    """Ignored labels add no loss but still count in the mean's divisor (padding dilutes the mean)."""

    def counted_weight(self, labels, counted):
        if self.weight is not None:
            labels = np.clip(labels, 0, len(self.weight) - 1)  # an ignored label counts with a class's weight
        return super().counted_weight(labels, None)


class UnweightedSmoothingSoftmaxCrossEntropy(tg.SoftmaxCrossEntropy):
    """Label smoothing added after the class weights: t = (1 - ε) * weight * target + ε / K (PyTorch weighs both)."""

    def target_distribution(self, target, counted):
        epsilon, weight = self.label_smoothing, self.weight
        weighted = target if weight is None else target * weight.reshape((-1,) + (1,) * (target.ndim - 2))
        t = (1 - epsilon) * weighted + epsilon / target.shape[1]
        return t if counted is None else t * np.expand_dims(counted, 1)


class SmoothsIgnoredSoftmaxCrossEntropy(tg.SoftmaxCrossEntropy):
    """Label smoothing applied to ignored labels too: their ε / K term still adds a loss."""

    def target_distribution(self, target, counted):
        return super().target_distribution(target, None)


class WeightSumMeanBinaryCrossEntropy(tg.BinaryCrossEntropy):
    """A weighted mean over the sum of the weights (as SoftmaxCrossEntropy's labels), not over the elements."""

    def forward(self, pred, target):
        losses = super().forward(pred, target)
        return losses, (losses.size if self.weight is None else np.broadcast_to(self.weight, losses.shape).sum())


class PosWeightEverywhereBCEWithLogits(tg.BCEWithLogits):
    """pos_weight scales every element's loss, as weight does, instead of the positive term alone."""

    def __init__(self, weight=None, pos_weight=None, reduction="mean"):
        if pos_weight is not None:
            weight = pos_weight if weight is None else np.multiply(weight, pos_weight)
        super().__init__(weight=weight, reduction=reduction)


AVERAGING_TWINS = [
    CountMeanSoftmaxCrossEntropy, CountsIgnoredSoftmaxCrossEntropy, UnweightedSmoothingSoftmaxCrossEntropy,
    SmoothsIgnoredSoftmaxCrossEntropy, WeightSumMeanBinaryCrossEntropy, PosWeightEverywhereBCEWithLogits,
]


# -- optimizers: each twin gets one option wrong -----------------------------------------------------------


class CoupledDecayAdamW(tg.AdamW):
    """AdamW that adds weight_decay * p to the gradient (Adam's L2), instead of shrinking p apart."""

    update = tg.Adam.update


@contextlib.contextmanager
def setting(optimizer, name, value):
    """`optimizer.name` is `value` inside the block, and what it was after it: an option the twin ignores."""
    kept = getattr(optimizer, name)
    setattr(optimizer, name, value)
    try:
        yield
    finally:
        setattr(optimizer, name, kept)


class UndampedSGD(tg.SGD):
    """SGD whose momentum ignores dampening."""

    def update(self, p, g, state):
        with setting(self, "dampening", 0.0):
            super().update(p, g, state)


class ForgetsMaxAdam(tg.Adam):
    """amsgrad in name only: the step divides by the current second moment, not the largest so far."""

    def update(self, p, g, state):
        with setting(self, "amsgrad", False):
            super().update(p, g, state)


class UncenteredRMSprop(tg.RMSprop):
    """RMSprop that never subtracts the squared mean gradient, even when centered."""

    def update(self, p, g, state):
        with setting(self, "centered", False):
            super().update(p, g, state)


class DescendingAdagrad(tg.Adagrad):
    """maximize ignored: the step always descends."""

    def step(self):
        with setting(self, "maximize", False):
            super().step()


OPTIMIZER_TWINS = {  # twin: the option whose reference cases it must fail
    CoupledDecayAdamW: "weight_decay", UndampedSGD: "dampening", ForgetsMaxAdam: "amsgrad",
    UncenteredRMSprop: "centered", DescendingAdagrad: "maximize",
}

# -- images, sequences, normalisation -----------------------------------------------------------------


class OverwritingCol2imConv2D(tg.Conv2D):
    """col2im assigns each window's gradient instead of adding it: overlapping windows lose all but one."""

    def patches_of(self, x):
        super().patches_of(x)
        return OverwritingPatches(x.shape, self.kernel_size, self.stride, self.padding)


class OverwritingPatches(Patches):
    """Patches whose col2im has `=` where the real one has `+=`."""

    def col2im(self, dcols, out=None):
        dcols = dcols.reshape(self.channels, *self.kernel, self.n, *self.columns_grid)
        dx = np.zeros(self.padded_shape, dtype=dcols.dtype)
        for in_cols, in_padded in self.offsets:
            dx[in_padded] = dcols[in_cols]
        return self.unpadded(dx, out)


class TwoTermBatchNorm(tg.BatchNorm):
    """dx forgets the path through the variance: dx = inv_std * (dx_hat - mean(dx_hat))."""

    def backward(self, dy):
        x_hat, inv_std, axes, training = self.pop_saved()
        self.weight.grad += (dy * x_hat).sum(axis=axes)
        self.bias.grad += dy.sum(axis=axes)
        dx_hat = dy * self.weight.value.reshape(inv_std.shape)
        return inv_std * (dx_hat - dx_hat.mean(axis=axes, keepdims=True))


class BiasedRunningVarBatchNorm(tg.BatchNorm):
    """Moves running_var towards the biased batch variance (PyTorch uses the unbiased one)."""

    def forward(self, x):
        y = super().forward(x)
        if self.training:
            m = x.size // self.num_features
            axes = (0, *range(2, x.ndim))
            unbiased = x.var(axis=axes) * (m / (m - 1))
            self.running_var = self.running_var - self.momentum * unbiased + self.momentum * x.var(axis=axes)
        return y


class LastIndexWinsEmbedding(tg.Embedding):
    """dW[x] += dy: NumPy's buffered fancy-index add keeps only one of the repeated indices."""

    def backward(self, dy):
        x = self.pop_saved()
        dW = np.zeros_like(self.weight.value)
        dW[x] += dy
        self.weight.grad += dW


class MaskMaxPool2D(tg.MaxPool2D):
    """Max pooling that routes dy by a mask of each window's elements (`at_max`), which the twins below get wrong."""

    def forward(self, x):
        patches, cols = self.windows_of(x)
        self.save_for_backward(patches, self.at_max(cols))
        return patches.batch_first(cols.max(axis=1))

    def backward(self, dy):
        patches, at_max = self.pop_saved()
        return patches.col2im(at_max * patches.channels_first(dy)[:, None])


class AllTiesMaxPool2D(MaskMaxPool2D):
    """Routes dy to every element equal to the window's maximum (PyTorch: the first one only)."""

    def at_max(self, cols):
        return cols == cols.max(axis=1)[:, None]


class FirstNaNMaxPool2D(MaskMaxPool2D):
    """Routes a window's dy to its first NaN (PyTorch: its last NaN): `argmax` stops at the first NaN."""

    def at_max(self, cols):
        return np.arange(cols.shape[1])[:, None] == cols.argmax(axis=1)[:, None]


class ExactGELU(tg.GELU):
    """The erf form of GELU, not the tanh one: differs from PyTorch's approximate='tanh' by up to 5e-4."""

    def forward(self, x):
        from math import erf, sqrt

        cdf = np.vectorize(lambda v: 0.5 * (1 + erf(v / sqrt(2))))(x)
        self.save_for_backward(cdf)
        return x * cdf
