"""`Dense` and `Embedding` in ONNX, both ways: a weight matrix used as a product or as a table.

    Dense on (n, in)        Gemm(x, W, b, transB=1)            W as PyTorch lays it out: (out, in)
    Dense on (n, ..., in)   Add(MatMul(x, Transpose(W)), b)    as PyTorch writes nn.Linear on such inputs
    Embedding               Gather(W, indices)

Import also reads `Gemm` in every form (transposed or not, scaled by alpha and beta, with or without
a bias) and `MatMul` by a constant matrix, with the `Add` of a bias after it.
"""

from ..layers import Dense, Embedding
from .node import bias_vector, with_values
from .patterns import Const, Op, X


def export_dense(layer, g, x):
    weight = g.constant(layer.weight.value.T, "weight")  # (out, in): initializers load into torch.nn.Linear as they are
    bias = [g.constant(layer.bias.value, "bias")] if layer.bias is not None else []
    if len(g.shape(x)) == 1:
        return g.op("Gemm", x, weight, *bias, transB=1)
    y = g.op("MatMul", x, g.op("Transpose", weight, perm=[1, 0]))
    return g.op("Add", y, *bias) if bias else y


def export_embedding(layer, g, x):
    return g.op("Gather", g.constant(layer.weight.value, "weight"), x, axis=0)


EXPORTERS = {Dense: export_dense, Embedding: export_embedding}


def dense_of(weight, bias=None):
    """A `Dense` with `weight` `(in, out)` and `bias` `(out,)` (None: no bias)."""
    layer = Dense(weight.shape[0], weight.shape[1], bias=bias is not None, init="zeros")
    return with_values(layer, weight=weight, **({} if bias is None else {"bias": bias}))


def import_gemm(node):
    node.expect("transA", 0, reason="the input must not be transposed")
    trans_b = node.expect("transB", 0, 1)
    alpha, beta = node.attribute("alpha", 1.0), node.attribute("beta", 1.0)
    B = node.constant(1, "the weight B")
    if B.ndim != 2:
        node.fail(f"the weight B has shape {B.shape}; expected a matrix")
    weight = alpha * (B.T if trans_b else B)
    bias = beta * bias_vector(node, node.constant(2, "the bias C"), weight.shape[1]) if node.has(2) else None
    return node.done(dense_of(weight, bias), *node.values(0))


def import_matmul(node):
    B = node.constant(1, "the second factor")
    if B.ndim != 2:
        node.fail(f"the second factor has shape {B.shape}; tinygraph reads a product by a constant matrix (a Dense layer)")
    return node.done(dense_of(B), *node.values(0))


def import_gather(node):
    node.expect("axis", 0, reason="an embedding looks up rows")
    table = node.constant(0, "the table")
    if table.ndim != 2:
        node.fail(f"the table has shape {table.shape}; expected (num_embeddings, embedding_dim)")
    layer = with_values(Embedding(table.shape[0], table.shape[1], rng=0), weight=table)
    return node.done(layer, *node.values(1))


def dense_with_bias(constants):
    weight, bias = constants["weight"], constants["bias"]
    if weight.ndim != 2 or bias.shape != (weight.shape[1],):
        return None  # not a Dense layer's product and bias: the nodes are read one by one
    return dense_of(weight, bias)


IMPORTERS = {"Gemm": import_gemm, "MatMul": import_matmul, "Gather": import_gather}
PATTERNS = [(Op("Add", Op("MatMul", X, Const("weight", array=True)), Const("bias", array=True)), dense_with_bias)]
