"""Broken twins: layers and losses with one deliberate bug each, to prove that the checks catch it.

Each twin differs from the real thing in exactly one line of its backward, named in its docstring.
"""

import numpy as np

import tinygraph as tg


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
