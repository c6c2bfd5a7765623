"""tinygraph: a small, readable neural-network framework on NumPy where every step of backprop is visible.

>>> import numpy as np, tinygraph as tg
>>> net = tg.Sequential(tg.Dense(3, 4, rng=0), tg.Sigmoid(), tg.Dense(4, 1, rng=0), tg.Sigmoid())
>>> net(np.ones((2, 3))).shape
(2, 1)
"""

from . import datasets, init, plot
from .article import article_network, train_article
from .containers import Parallel, Residual, Sequential
from .core import Layer, Parameter
from .gradcheck import GradcheckReport, gradcheck
from .io import load, save
from .layers import Dense, Dropout, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .losses import MSE, BinaryCrossEntropy, Loss, SoftmaxCrossEntropy, SumSquaredError
from .optim import SGD, Adam, Optimizer
from .trace import TraceRecord, trace
from .training import Callback, EarlyStopping, EpochHook, History, evaluate, fit

__version__ = "0.1.0"

__all__ = [
    "Adam", "BinaryCrossEntropy", "Callback", "Dense", "Dropout", "EarlyStopping", "EpochHook", "GradcheckReport",
    "History", "Identity", "Layer", "LeakyReLU", "Loss", "MSE", "Optimizer", "Parallel", "Parameter", "ReLU",
    "Residual", "SGD", "Sequential", "Sigmoid", "Softmax", "SoftmaxCrossEntropy", "SumSquaredError", "Tanh", "article_network", "datasets", "evaluate", "fit",
    "TraceRecord", "gradcheck", "init", "load", "plot", "save", "trace", "train_article",
]
