"""tinygraph: a small, readable neural-network framework on NumPy where every step of backprop is visible.

>>> import numpy as np, tinygraph as tg
>>> net = tg.Sequential(tg.Dense(3, 4, rng=0), tg.Sigmoid(), tg.Dense(4, 1, rng=0), tg.Sigmoid())
>>> net(np.ones((2, 3))).shape
(2, 1)
"""

from . import datasets, init, plot, schedules
from .article import article_network, train_article
from .callbacks import Callback, EarlyStopping, EpochHook, History
from .containers import Parallel, Residual, Sequential
from .explain import explain
from .graph import Graph, Input
from .inspect.gradcheck import GradcheckReport, gradcheck
from .inspect.trace import TraceRecord, trace
from .io import load, save
from .layer import Layer
from .layers import Dense, Dropout, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .layers import Add, Concat, Multiply
from .layers import (  # images, sequences, normalisation
    ELU, GELU, AvgPool1D, AvgPool2D, BatchNorm, Conv1D, Conv2D, Embedding, Flatten, LayerNorm, MaxPool1D, MaxPool2D,
    Permute, Reshape, SiLU, Softplus,
)
from .metrics import accuracy
from .onnx import export_onnx, import_onnx  # the outgrow path (needs onnx only when called)
from .losses import L1, MSE, BCEWithLogits, BinaryCrossEntropy, Huber, Loss, SoftmaxCrossEntropy, SumSquaredError
from .optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop, clip_grad_norm
from .parameter import Parameter
from .training import evaluate, fit

from .version import __version__

__all__ = [
    "Adam", "BinaryCrossEntropy", "Callback", "Dense", "Dropout", "EarlyStopping", "EpochHook", "GradcheckReport",
    "History", "Identity", "Layer", "LeakyReLU", "Loss", "MSE", "Optimizer", "Parallel", "Parameter", "ReLU",
    "Residual", "SGD", "Sequential", "Sigmoid", "Softmax", "SoftmaxCrossEntropy", "SumSquaredError", "Tanh",
    "TraceRecord", "article_network", "datasets", "evaluate", "explain", "fit", "gradcheck", "init", "load", "plot", "save",
    "trace", "train_article",
    # training toolkit (issues 14, 18)
    "AdamW", "Adagrad", "BCEWithLogits", "Huber", "L1", "RMSprop", "clip_grad_norm", "schedules",
]
__all__ += ["Add", "Concat", "Graph", "Input", "Multiply"]  # graphs of layers
__all__ += [  # images, sequences, normalisation
    "AvgPool1D", "AvgPool2D", "BatchNorm", "Conv1D", "Conv2D", "ELU", "Embedding", "Flatten", "GELU", "LayerNorm",
    "MaxPool1D", "MaxPool2D", "Permute", "Reshape", "SiLU", "Softplus",
]
__all__ += ["accuracy"]  # the newcomer's frictions (issue 14): predict_classes-style help
__all__ += ["export_onnx", "import_onnx"]  # ONNX
