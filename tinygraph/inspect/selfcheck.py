"""The checks `tinygraph gradcheck` runs: every built-in layer, container and loss, and the article's network."""

import re

import numpy as np

from ..article import article_network
from ..containers import Parallel, Residual, Sequential
from ..datasets import article
from ..graph import Graph
from ..nodes import Input
from ..layers import Add, Concat, Dense, Dropout, Identity, LeakyReLU, Multiply, ReLU, Sigmoid, Softmax, Tanh
from ..layers import (  # images, sequences, normalisation
    ELU, GELU, AvgPool1D, AvgPool2D, BatchNorm, Conv1D, Conv2D, Flatten, LayerNorm, MaxPool1D, MaxPool2D, Permute,
    Reshape, SiLU, Softplus,
)
from ..losses import L1, MSE, BCEWithLogits, BinaryCrossEntropy, Huber, SoftmaxCrossEntropy, SumSquaredError
from .gradcheck import gradcheck


def builtin_cases(seed=0):
    """`[(label, model, x, target), ...]`: each built-in layer and loss with a small input it is checked at.

    Inputs have magnitudes 0.1 to 2 (off ReLU's kink, where sigmoid and tanh do not saturate); `target`
    is None for layers.
    """
    rng = np.random.default_rng(seed)

    def x(n_in=4, n_batch=5):
        return rng.choice([-1.0, 1.0], (n_batch, n_in)) * rng.uniform(0.1, 2.0, (n_batch, n_in))

    shared = Dense(4, 4, rng=rng)
    layers = [
        Dense(4, 3, rng=rng), Dense(4, 3, bias=False, rng=rng), Sigmoid(), Tanh(), ReLU(), LeakyReLU(0.1), Softmax(),
        Dropout(0.3, rng=rng), Identity(),
        Sequential(Dense(4, 6, rng=rng), Tanh(), Dense(6, 2, rng=rng)),
        Residual(Sequential(Dense(4, 4, rng=rng), ReLU(), Dense(4, 4, rng=rng))),
        Parallel(Dense(4, 2, rng=rng), Identity(), Sequential(Dense(4, 3, rng=rng), Sigmoid()), merge="concat"),
        Parallel(Dense(4, 2, rng=rng), Sequential(Tanh(), Dense(4, 2, rng=rng)), merge="add"),
    ]
    cases = [(repr(layer), layer, x(), None) for layer in layers]
    cases.append(("Sequential(shared >> Tanh >> shared), one Dense(4→4) used twice", Sequential(shared, Tanh(), shared), x(), None))
    cases.append(("Graph: fan-out into Add, Multiply and Concat, one Dense called twice", diamond(rng), x(), None))
    cases += image_cases(rng)
    probabilities = rng.uniform(0.1, 0.9, (5, 3))
    logits = x(3)
    cases += [
        ("MSE", MSE(), x(3), x(3)),
        ("SumSquaredError", SumSquaredError(), x(3), x(3)),
        ("BinaryCrossEntropy", BinaryCrossEntropy(), probabilities, rng.uniform(0, 1, (5, 3))),
        ("SoftmaxCrossEntropy, labels", SoftmaxCrossEntropy(), logits, rng.integers(0, 3, 5)),
        ("SoftmaxCrossEntropy, probabilities", SoftmaxCrossEntropy(), logits, rng.dirichlet(np.ones(3), 5)),
    ]
    cases += loss_option_cases(rng, x)
    X, _ = article()
    cases.append(("the article's 3-4-1 network, end to end", article_network(1), X, None))
    return cases


def diamond(rng):
    """A graph in which values feed several calls and merge again, and one `Dense` is called twice."""
    x = Input("x")
    shared = Dense(4, 4, rng=rng)
    h = shared(x)
    a, b = Tanh()(h), shared(Sigmoid()(h))
    return Graph(x, Concat()(Add()(a, b), Multiply()(a, h)))


def loss_option_cases(rng, x):
    """The losses of the training toolkit and every loss option, each with an input it is checked at."""
    pred = x(3)
    target = pred + rng.choice([-1.0, 1.0], (5, 3)) * rng.uniform(0.2, 1.5, (5, 3))  # off L1's kink at 0
    probabilities, fractions, labels = rng.uniform(0.1, 0.9, (5, 3)), rng.uniform(0, 1, (5, 3)), rng.integers(0, 3, 5)
    pixel_logits, pixel_labels = rng.uniform(-3, 3, (2, 3, 4)), rng.integers(0, 3, (2, 4))
    pixel_labels[0, :2] = -100  # padding
    cases = [
        (L1(), pred, target), (Huber(delta=0.5), pred, target), (MSE(reduction="sum"), pred, target),
        (L1(reduction="none"), pred, target),
        (BinaryCrossEntropy(weight=[0.5, 1.0, 2.0], reduction="none"), probabilities, fractions),
        (BCEWithLogits(), pred, fractions),
        (BCEWithLogits(weight=[1.0, 0.5, 2.0], pos_weight=[3.0, 1.0, 0.2]), pred, fractions),
        (SoftmaxCrossEntropy(ignore_index=1, reduction="none"), pred, labels),
        (SoftmaxCrossEntropy(weight=[0.5, 2.0, 1.0], label_smoothing=0.2, reduction="sum"), pred,
         rng.dirichlet(np.ones(3), 5)),
        (SoftmaxCrossEntropy(weight=[0.5, 2.0, 1.0], ignore_index=-100, label_smoothing=0.1), pixel_logits, pixel_labels),
    ]

    def label(loss, pred):  # weights named without their values, to stay short
        return re.sub(r"(\w+)=\[[^]]*\]", r"\1", repr(loss)) + (" on (N, K, d)" if pred.ndim == 3 else "")

    return [(label(loss, pred), loss, pred, target) for loss, pred, target in cases]


def image_cases(rng):
    """The image, sequence and norm layers, each at a small input of its shape (as `builtin_cases`).

    (`Embedding` is not here: its input, integer indices, has no gradient to check.)
    """

    def x(*shape):
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 2.0, shape)

    in_eval_mode = BatchNorm(2).eval()
    in_eval_mode.running_mean, in_eval_mode.running_var = rng.normal(size=2), rng.uniform(0.5, 2.0, 2)
    cases = [
        (Conv2D(2, 3, 3, padding=1, rng=rng), x(2, 2, 5, 5)),
        (Conv2D(2, 2, (3, 2), stride=2, bias=False, rng=rng), x(2, 2, 6, 5)),
        (Conv1D(3, 2, 3, stride=2, padding=1, rng=rng), x(2, 3, 7)),
        (MaxPool2D(2), x(2, 2, 4, 4)), (AvgPool2D(3, stride=1), x(1, 2, 5, 5)),
        (MaxPool1D(2), x(2, 2, 6)), (AvgPool1D(3, stride=2), x(2, 2, 7)),
        (Flatten(), x(2, 2, 3, 3)), (Reshape(3, -1), x(2, 6)), (Permute(2, 1), x(2, 3, 4)),
        (BatchNorm(3), x(4, 3)), (BatchNorm(2), x(3, 2, 3, 3)), (in_eval_mode, x(3, 2, 2, 2)),
        (LayerNorm(4), x(3, 2, 4)), (LayerNorm((2, 3)), x(2, 2, 3)),
        (GELU(), x(5, 4)), (ELU(), x(5, 4)), (SiLU(), x(5, 4)), (Softplus(beta=2.0, threshold=3.0), x(5, 4)),
    ]
    cases = [(repr(layer) + (", eval mode" if layer is in_eval_mode else ""), layer, value, None) for layer, value in cases]
    # no bias before BatchNorm: its gradient would be exactly 0, which gradcheck refuses (allow_zero=False)
    cnn = Sequential(Conv2D(1, 3, 3, padding=1, bias=False, rng=rng), BatchNorm(3), MaxPool2D(2), ReLU(), Flatten(),
                     Dense(12, 2, rng=rng))
    cases.append(("a small CNN: Conv2D >> BatchNorm >> MaxPool2D >> ReLU >> Flatten >> Dense", cnn, x(3, 1, 4, 4), None))
    return cases


def run_checks(cases):
    """`[(label, report), ...]` for `builtin_cases()`-like cases."""
    return [(label, gradcheck(model, x, target=target)) for label, model, x, target in cases]
