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

    def backward(self):
        return super().backward() / 2


class WrongSignBCE(tg.BinaryCrossEntropy):
    """dpred = -(p - t) / (p (1 - p)) / n."""

    def backward(self):
        return -super().backward()


class NoMeanSoftmaxCrossEntropy(tg.SoftmaxCrossEntropy):
    """Forgets to divide by n_batch (the loss is a mean, so the gradient must be too)."""

    def backward(self):
        dpred = super().backward()
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


# -- images, sequences, normalisation -----------------------------------------------------------------


class OverwritingCol2imConv2D(tg.Conv2D):
    """col2im assigns each window's gradient instead of adding it: overlapping windows lose all but one."""

    def patches_of(self, x):
        return OverwritingPatches(super().patches_of(x))


class OverwritingPatches:
    """Patches whose col2im has `=` where the real one has `+=`."""

    def __init__(self, patches):
        self.patches = patches

    def __getattr__(self, name):
        return getattr(self.patches, name)

    def col2im(self, dcols):
        p = self.patches
        dcols = dcols.reshape(p.channels, *p.kernel, p.n, *p.columns_grid)
        dx = np.zeros(p.padded_shape, dtype=dcols.dtype)
        for in_cols, in_padded in p.offsets:
            dx[in_padded] = dcols[in_cols]
        return p.unpadded(dx)


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


class AllTiesMaxPool2D(tg.MaxPool2D):
    """Routes dy to every element equal to the window's maximum (PyTorch: the first one only)."""

    def forward(self, x):
        patches, cols = self.windows_of(x)
        y = cols.max(axis=1)
        self.save_for_backward(patches, cols == y[:, None])
        return patches.batch_first(y)

    def backward(self, dy):
        patches, at_max = self.pop_saved()
        return patches.col2im(at_max * patches.channels_first(dy)[:, None])


class ExactGELU(tg.GELU):
    """The erf form of GELU, not the tanh one: differs from PyTorch's approximate='tanh' by up to 5e-4."""

    def forward(self, x):
        from math import erf, sqrt

        cdf = np.vectorize(lambda v: 0.5 * (1 + erf(v / sqrt(2))))(x)
        self.save_for_backward(cdf)
        return x * cdf
