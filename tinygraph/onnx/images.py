"""Convolutions, poolings and the norms in ONNX, both ways; every array in PyTorch's layout already.

    Conv2D, Conv1D              Conv(x, W, b, kernel_shape, strides, pads)
    MaxPool2D, MaxPool1D        MaxPool(x, kernel_shape, strides)
    AvgPool2D, AvgPool1D        AveragePool(x, kernel_shape, strides)
    BatchNorm                   BatchNormalization(x, gamma, beta, running_mean, running_var, epsilon, momentum)
    LayerNorm                   LayerNormalization(x, gamma, beta, axis=-len(normalized_shape), epsilon)

ONNX's BatchNormalization `momentum` is PyTorch's `1 - momentum` (the weight of the old running value).
Import refuses what tinygraph's layers cannot do (dilation, groups, padded or ceil-mode pooling, ...).
"""

from ..layers import AvgPool1D, AvgPool2D, BatchNorm, Conv1D, Conv2D, LayerNorm, MaxPool1D, MaxPool2D
from .node import with_values
from .proto import decimal


def export_conv(layer, g, x):
    bias = [g.constant(layer.bias.value, "bias")] if layer.bias is not None else []
    return g.op("Conv", x, g.constant(layer.weight.value, "weight"), *bias, kernel_shape=list(layer.kernel_size),
                strides=list(layer.stride), pads=list(layer.padding) * 2)


def export_pool(op_type):
    return lambda layer, g, x: g.op(op_type, x, kernel_shape=list(layer.kernel_size), strides=list(layer.stride))


def export_batchnorm(layer, g, x):
    arrays = [g.constant(layer.weight.value, "weight"), g.constant(layer.bias.value, "bias"),
              g.constant(layer.running_mean, "running_mean"), g.constant(layer.running_var, "running_var")]
    return g.op("BatchNormalization", x, *arrays, epsilon=layer.eps, momentum=1 - layer.momentum)


def export_layernorm(layer, g, x):
    return g.op("LayerNormalization", x, g.constant(layer.weight.value, "weight"), g.constant(layer.bias.value, "bias"),
                axis=-len(layer.normalized_shape), epsilon=layer.eps)


EXPORTERS = {
    Conv2D: export_conv, Conv1D: export_conv, MaxPool2D: export_pool("MaxPool"), MaxPool1D: export_pool("MaxPool"),
    AvgPool2D: export_pool("AveragePool"), AvgPool1D: export_pool("AveragePool"),
    BatchNorm: export_batchnorm, LayerNorm: export_layernorm,
}


def window(node, dims, kernel):
    """The strides of a convolution or pooling of `dims` spatial axes; refuses padding of the poolings and
    whatever else tinygraph's layers do not do (dilation, ceil mode, SAME padding)."""
    if dims not in (1, 2):
        node.fail(f"it works on {dims} spatial axes; tinygraph's layers work on 1 (sequences) or 2 (images)")
    node.expect("auto_pad", "NOTSET", "VALID", reason="give the padding as pads")
    if node.attribute("kernel_shape", kernel) != kernel:
        node.fail(f"kernel_shape={node.attribute('kernel_shape', kernel)} differs from the weight's {kernel}")
    node.expect("dilations", [1] * dims, reason="tinygraph's layers have no dilation")
    strides = node.attribute("strides", [1] * dims)
    if len(strides) != dims:
        node.fail(f"strides={strides[:8]} has not {dims} values")
    return strides


def import_conv(node):
    weight = node.constant(1, "the weight")
    dims = weight.ndim - 2
    strides = window(node, dims, list(weight.shape[2:]))
    node.expect("group", 1, reason="tinygraph's convolutions are not grouped")
    pads = node.attribute("pads", [0] * 2 * dims)
    if len(pads) != 2 * dims or pads[:dims] != pads[dims:]:
        node.fail(f"pads={pads[:8]} is not the same padding at both ends of each axis, as tinygraph's layers pad")
    cls = Conv2D if dims == 2 else Conv1D
    layer = cls(weight.shape[1], weight.shape[0], weight.shape[2:], strides, pads[:dims], bias=node.has(2), init="zeros")
    arrays = {"weight": weight, **({"bias": node.constant(2, "the bias")} if node.has(2) else {})}
    return node.done(with_values(layer, **arrays), *node.values(0))


def import_pool(classes):
    def convert(node):
        kernel = node.attribute("kernel_shape", [])
        strides = window(node, len(kernel), kernel)
        node.expect("pads", [0] * 2 * len(kernel), reason="tinygraph's poolings do not pad")
        node.expect("ceil_mode", 0, reason="tinygraph's poolings drop a last window that does not fit")
        node.expect("storage_order", 0) if node.op_type == "MaxPool" else node.expect("count_include_pad", 0, 1)
        if len(node.node.output) > 1 and node.node.output[1] and node.graph.consumers(node.node.output[1]):
            node.fail("its indices output is used; tinygraph's poolings have one output")
        return node.done(classes[len(kernel)](kernel, strides), *node.values(0))

    return convert


def import_batchnorm(node):
    epsilon, momentum = node.attribute("epsilon", 1e-5), node.attribute("momentum", 0.9)
    node.expect("training_mode", 0, reason="tinygraph reads models for inference, which use the running statistics")
    if any(output and node.graph.consumers(output) for output in node.node.output[1:]):
        node.fail("its running statistics outputs are used; tinygraph's BatchNorm has one output")
    names = ("weight", "bias", "running_mean", "running_var")
    arrays = {name: node.constant(i + 1, name) for i, name in enumerate(names)}
    n = arrays["weight"].size
    if any(array.shape != (n,) for array in arrays.values()):
        node.fail(f"scale, bias, mean and var must all have shape ({n},), got {[a.shape for a in arrays.values()]}")
    layer = BatchNorm(n, epsilon, decimal(1 - momentum))
    return node.done(with_values(layer, **arrays), *node.values(0))


def import_layernorm(node):
    weight = node.constant(1, "the scale")
    if not weight.ndim:
        node.fail("the scale has no axes; expected the normalized shape")
    node.expect("axis", -weight.ndim, reason=f"the scale has shape {weight.shape}: tinygraph normalises over the last "
                                              f"{weight.ndim} axes, axis {-weight.ndim}")
    node.attribute("stash_type", 1)  # the precision of the mean and the variance: float64 here in any case
    epsilon = node.attribute("epsilon", 1e-5)
    if any(output and node.graph.consumers(output) for output in node.node.output[1:]):
        node.fail("its mean or inverse standard deviation output is used; tinygraph's LayerNorm has one output")
    bias = node.constant(2, "the bias") if node.has(2) else 0 * weight
    layer = with_values(LayerNorm(weight.shape, epsilon), weight=weight, bias=bias)
    return node.done(layer, *node.values(0))


IMPORTERS = {
    "Conv": import_conv, "MaxPool": import_pool({1: MaxPool1D, 2: MaxPool2D}),
    "AveragePool": import_pool({1: AvgPool1D, 2: AvgPool2D}),
    "BatchNormalization": import_batchnorm, "LayerNormalization": import_layernorm,
}
