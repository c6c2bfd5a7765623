"""`Flatten`, `Reshape` and `Permute` in ONNX, both ways: each sample's values moved, the batch axis kept.

    Flatten            Flatten(x, axis=1)
    Reshape(*shape)    Reshape(x, [0, *shape])        0: the batch axis as it is
    Permute(*axes)     Transpose(x, perm=[0, *axes])

Import also reads `Reshape(x, [-1, *shape])`, as PyTorch writes `x.view(-1, 64)` and `nn.Flatten`.
A `Transpose` of a constant is no layer: the importer folds it into the constant (`graph.py`).
"""

import numpy as np

from ..layers import Flatten, Permute, Reshape

EXPORTERS = {
    Flatten: lambda layer, g, x: g.op("Flatten", x, axis=1),
    Reshape: lambda layer, g, x: g.op("Reshape", x, g.constant(np.array([0, *layer.shape]), "shape")),
    Permute: lambda layer, g, x: g.op("Transpose", x, perm=[0, *layer.axes]),
}


def import_flatten(node):
    node.expect("axis", 1, reason="tinygraph's Flatten keeps the batch axis and joins the others")
    return node.done(Flatten(), *node.values(0))


def import_reshape(node):
    allow_zero = node.expect("allowzero", 0, 1)
    shape = [int(size) for size in node.constant(1, "the shape").reshape(-1)]
    batch, sample = (shape[0], shape[1:]) if shape else (None, [])
    if not sample or batch not in ((-1, 0) if not allow_zero else (-1,)) or (batch == -1 and -1 in sample) or (
            0 in sample) or any(size < -1 for size in sample):
        node.fail(f"the shape {shape[:8]} does not keep the batch axis as it is (tinygraph reads [0, ...] or [-1, ...] "
                  "with the sizes of one sample after it)")
    return node.done(Reshape(*sample), *node.values(0))


def import_transpose(node):
    perm = node.attribute("perm", [])
    if len(perm) < 2 or perm[0] != 0 or sorted(perm) != list(range(len(perm))):
        node.fail(f"perm={perm[:8]} moves the batch axis (tinygraph reads permutations that keep axis 0 first)")
    return node.done(Permute(*perm[1:]), *node.values(0))


IMPORTERS = {"Flatten": import_flatten, "Reshape": import_reshape, "Transpose": import_transpose}
