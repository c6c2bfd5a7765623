"""Graphs computed another way, to check `tg.Graph` against: by hand in NumPy, and by finite differences.

`forward` and `backward` read a `DagRecipe` (plain data: which layer takes which values) and compute
it with each layer's math written out here, forward and its hand-derived backward. They never run a
tinygraph layer or graph: only the layers' weights are read.
"""

import numpy as np

import tinygraph as tg


def forward(recipe, xs):
    """Every value of `recipe` on the inputs `xs`: the inputs, then one value per step."""
    values = [np.asarray(x, dtype=np.float64) for x in xs]
    for step in recipe.steps:
        values.append(_forward(step, [values[i] for i in step.takes]))
    return values


def _forward(step, ins):
    layer = step.layer
    if step.recipe is not None:  # a nested graph
        return forward(step.recipe, ins)[step.recipe.outputs[0]]
    if isinstance(layer, tg.Dense):
        (x,) = ins
        return x @ layer.weight.value + (0.0 if layer.bias is None else layer.bias.value)
    if isinstance(layer, tg.Tanh):
        return np.tanh(ins[0])
    if isinstance(layer, tg.Sigmoid):
        return 1 / (1 + np.exp(-ins[0]))
    if isinstance(layer, tg.ReLU):
        return np.maximum(ins[0], 0)
    if isinstance(layer, tg.Add):
        return sum(ins[1:], ins[0])
    if isinstance(layer, tg.Multiply):
        return _product(ins)
    if isinstance(layer, tg.Concat):
        return np.concatenate(ins, axis=-1)
    raise TypeError(f"the oracle has no math for {layer!r}")


def _product(factors):
    y = factors[0]
    for f in factors[1:]:
        y = y * f
    return y


def backward(recipe, values, dys, grads):
    """The gradients of `sum_k dys[k] * output_k` with respect to the inputs; parameter gradients are added
    into `grads` (`{id(parameter): array}`). `values` are what `forward` gave."""
    g = [None] * len(values)  # the gradient of each value, summed over everything that takes it
    for i, dy in zip(recipe.outputs, dys):
        g[i] = dy if g[i] is None else g[i] + dy
    for k in reversed(range(len(recipe.steps))):
        step, out = recipe.steps[k], len(recipe.widths) + k
        ins = [values[i] for i in step.takes]
        for i, dx in zip(step.takes, _backward(step, ins, values[out], g[out], grads)):
            g[i] = dx if g[i] is None else g[i] + dx
    return g[: len(recipe.widths)]


def _add(grads, parameter, value):
    grads[id(parameter)] = grads.get(id(parameter), 0.0) + value


def _backward(step, ins, y, dy, grads):
    layer = step.layer
    if step.recipe is not None:
        return backward(step.recipe, forward(step.recipe, ins), [dy], grads)
    if isinstance(layer, tg.Dense):
        (x,) = ins
        _add(grads, layer.weight, x.T @ dy)  # y = x W + b: dW = x^T dy, db = sum of dy over the batch
        if layer.bias is not None:
            _add(grads, layer.bias, dy.sum(axis=0))
        return [dy @ layer.weight.value.T]  # dx = dy W^T
    if isinstance(layer, tg.Tanh):
        return [dy * (1 - y**2)]  # tanh' = 1 - tanh^2
    if isinstance(layer, tg.Sigmoid):
        return [dy * y * (1 - y)]  # sigma' = sigma (1 - sigma)
    if isinstance(layer, tg.ReLU):
        return [dy * (ins[0] > 0)]
    if isinstance(layer, tg.Add):
        return [dy] * len(ins)  # d(a + b)/da = 1
    if isinstance(layer, tg.Multiply):
        return [dy * _product(ins[:i] + ins[i + 1 :]) for i in range(len(ins))]  # d(a b)/da = b
    if isinstance(layer, tg.Concat):
        return np.split(dy, np.cumsum([x.shape[-1] for x in ins])[:-1], axis=-1)
    raise TypeError(f"the oracle has no math for {layer!r}")


def as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def numeric_gradients(graph, xs, dys, eps=1e-6):
    """Central differences of `s = sum_k sum(dys[k] * output_k)` for every element of every input and
    parameter of `graph` (in eval mode: no randomness): `[d_input, ...], {name: d_parameter}`."""
    graph.eval()

    def s():
        return sum(float(np.sum(dy * y)) for dy, y in zip(dys, as_tuple(graph(*xs))) if dy is not None)

    def differences(tensor):
        grad = np.zeros(tensor.shape)
        for index in np.ndindex(tensor.shape):
            original = tensor[index]
            tensor[index] = original + eps
            plus = s()
            tensor[index] = original - eps
            minus = s()
            tensor[index] = original
            grad[index] = (plus - minus) / (2 * eps)
        return grad

    return [differences(x) for x in xs], {name: differences(p.value) for name, p in graph.named_parameters()}


def analytic_gradients(graph, xs, dys):
    """One forward and backward of `graph` from zero gradients: `[dx, ...], {name: parameter gradient}`."""
    graph.zero_grad()
    ys = as_tuple(graph(*xs))
    dxs = as_tuple(graph.backward(tuple(dys) if len(ys) > 1 else dys[0]))
    return list(dxs), {name: p.grad.copy() for name, p in graph.named_parameters()}
