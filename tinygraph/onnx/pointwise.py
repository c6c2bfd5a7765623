"""The activations, `Dropout` and `Identity` in ONNX, both ways.

Most are one operator each (`ReLU` is `Relu`, `LeakyReLU(alpha)` is `LeakyRelu(alpha)`, `Dropout(p)` is
`Dropout` with ratio `p`, the identity outside training). The others are small patterns, written and
read by the same expressions (`patterns.py`):

    SiLU                                Mul(x, Sigmoid(x))                 as PyTorch writes nn.SiLU
    Softplus(beta, threshold)           Where(Greater(b·x, threshold), x, Softplus(b·x) / b)
                                        (the defaults, 1 and 20: one Softplus, equal to 1e-8)
    GELU, below opset 20                its formula, 0.5·x·(1 + tanh(sqrt(2/pi)·(x + 0.044715·x³)))
"""

import math

import numpy as np

from ..layers import ELU, GELU, Dropout, Identity, LeakyReLU, ReLU, SiLU, Sigmoid, Softmax, Softplus, Tanh
from .patterns import Const, Op, X, emit
from .proto import decimal

SIMPLE = {Sigmoid: "Sigmoid", Tanh: "Tanh", ReLU: "Relu", Identity: "Identity"}
SILU = Op("Mul", X, Op("Sigmoid", X))
SCALED = Op("Mul", X, Const("beta"))
SOFTPLUS = Op("Where", Op("Greater", SCALED, Const("threshold")), X, Op("Div", Op("Softplus", SCALED), Const("beta")))
GELU_FORMULA = Op(
    "Mul", Op("Mul", X, Const("half", 0.5)),
    Op("Add", Const("one", 1.0), Op("Tanh", Op("Mul", Op("Add", X, Op("Mul", Op("Pow", X, Const("three", 3.0)),
                                                                          Const("cubic", 0.044715))),
                                           Const("scale", math.sqrt(2 / math.pi))))),
)


def export_softplus(layer, g, x):
    if layer.beta == 1.0 and layer.threshold == 20.0:
        return g.op("Softplus", x)  # beyond 20, log(1 + exp(x)) and x differ by less than 2e-9
    return emit(SOFTPLUS, g, x, beta=layer.beta, threshold=layer.threshold)


def export_gelu(layer, g, x):
    if g.opset >= 20:
        return g.op("Gelu", x, approximate="tanh")
    return emit(GELU_FORMULA, g, x)


EXPORTERS = {cls: (lambda layer, g, x, op=op: g.op(op, x)) for cls, op in SIMPLE.items()}
EXPORTERS.update({
    LeakyReLU: lambda layer, g, x: g.op("LeakyRelu", x, alpha=layer.alpha),
    ELU: lambda layer, g, x: g.op("Elu", x, alpha=layer.alpha),
    Softmax: lambda layer, g, x: g.op("Softmax", x, axis=layer.axis),
    Dropout: lambda layer, g, x: g.op("Dropout", x, g.constant(np.array(layer.p), "p")),
    SiLU: lambda layer, g, x: emit(SILU, g, x),
    Softplus: export_softplus,
    GELU: export_gelu,
})


def import_simple(cls):
    return lambda node: node.done(cls(), *node.values(0))


def import_dropout(node):
    node.attribute("seed", 0)  # the seed of the random masks: nothing to do outside training
    p = decimal(node.constant(1, "the ratio")) if node.has(1) else 0.5
    if node.has(2) and bool(node.constant(2, "training_mode").reshape(())):
        node.fail("training_mode is true: the file drops values at random when it runs; tinygraph reads models for inference")
    if len(node.node.output) > 1 and node.node.output[1] and node.graph.consumers(node.node.output[1]):
        node.fail("its mask output is used; tinygraph's Dropout has one output")
    return node.done(Dropout(p), *node.values(0))


def import_gelu(node):
    if node.attribute("approximate", "none") != "tanh":  # ONNX's default is the exact erf form
        node.fail("attribute approximate='none' is not supported (tinygraph's GELU is the tanh form, PyTorch's "
                  "nn.GELU(approximate='tanh'); this node is the exact erf form, nn.GELU())")
    return node.done(GELU(), *node.values(0))


IMPORTERS = {op: import_simple(cls) for cls, op in SIMPLE.items()}
IMPORTERS.update({
    "LeakyRelu": lambda node: node.done(LeakyReLU(node.attribute("alpha", 0.01)), *node.values(0)),
    "Elu": lambda node: node.done(ELU(node.attribute("alpha", 1.0)), *node.values(0)),
    "Softmax": lambda node: node.done(Softmax(node.expect("axis", -1, *range(-64, 0), *range(1, 64),
                                                          reason="a softmax over the batch axis mixes samples")),
                                      *node.values(0)),
    "Softplus": import_simple(Softplus),
    "Gelu": import_gelu,
    "Dropout": import_dropout,
})
PATTERNS = [
    (SILU, lambda constants: SiLU()),
    (SOFTPLUS, lambda constants: Softplus(constants["beta"], constants["threshold"])),
    (GELU_FORMULA, lambda constants: GELU()),
]
