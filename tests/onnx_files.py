"""ONNX files as other tools write them, built here with `onnx.helper`: what `import_onnx` must read.

`pytorch_files()` draws plain MLPs and CNNs written the way PyTorch's exporters write them (real ones,
written by PyTorch 2.13, are in tests/reference/: tests/test_onnx_torch_files.py): initializers named as the module's state_dict, `Gemm` with
`transB=1` and the (out, in) weight of `nn.Linear`, or `MatMul` by the transposed weight and an `Add`
of the bias (a Linear on inputs of rank 3); `Conv`, `MaxPool` and `BatchNormalization` with every
attribute spelled out at its default, `Flatten`, `Relu`, `Sigmoid`, `Tanh`, `Softmax`.
"""

import numpy as np
from hypothesis import strategies as st

from onnx_oracle import onnx

helper, TensorProto = onnx.helper, onnx.TensorProto


class FileBuilder:
    """Nodes and initializers of a graph being written, as PyTorch's exporter names them."""

    def __init__(self, rng):
        self.rng, self.nodes, self.initializers, self.count = rng, [], [], 0

    def weight(self, name, shape, low=-1.0, high=1.0):
        self.initializers.append(onnx.numpy_helper.from_array(self.rng.uniform(low, high, shape).astype(np.float32), name))
        return name

    def node(self, op_type, inputs, **attributes):
        self.count += 1
        name = f"/{self.count}/{op_type}"
        self.nodes.append(helper.make_node(op_type, inputs, [f"{name}_output_0"], name=name, **attributes))
        return f"{name}_output_0"

    def model(self, x_shape, y, y_shape, opset=17, x_type=TensorProto.FLOAT):
        self.nodes[-1].output[0] = "output"
        for node in self.nodes:
            node.input[:] = ["output" if name == y else name for name in node.input]
        graph = helper.make_graph(self.nodes, "main_graph", [helper.make_tensor_value_info("input", x_type, x_shape)],
                                  [helper.make_tensor_value_info("output", TensorProto.FLOAT, y_shape)], self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="pytorch")
        model.ir_version = 8
        onnx.checker.check_model(model, full_check=True)
        return model


def linear(f, x, n_in, n_out, i, form):
    """`nn.Linear(n_in, n_out)` at position `i` of an `nn.Sequential`, as the exporter writes it in `form`."""
    weight, bias = f.weight(f"{i}.weight", (n_out, n_in)), f.weight(f"{i}.bias", (n_out,))
    if form == "gemm":
        return f.node("Gemm", [x, weight, bias], alpha=1.0, beta=1.0, transB=1)
    transposed = f.weight(f"onnx::MatMul_{100 + i}", (n_in, n_out))  # the exporter folds weight.T into a constant
    y = f.node("MatMul", [x, transposed])
    return f.node("Add", [bias, y] if form == "add-bias-first" else [y, bias])


ACTIVATIONS = ["Relu", "Sigmoid", "Tanh", None]


@st.composite
def pytorch_mlps(draw):
    """`(model proto, x)`: an `nn.Sequential` of Linear layers and activations, maybe ending in Softmax."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    f, opset = FileBuilder(rng), draw(st.sampled_from([13, 17, 20]))
    rank3 = draw(st.booleans())  # a Linear on (n, L, features) is MatMul + Add
    sizes = [draw(st.integers(1, 8)) for _ in range(draw(st.integers(2, 4)))]
    x, i = "input", 0
    for n_in, n_out in zip(sizes, sizes[1:]):
        form = draw(st.sampled_from(["matmul", "add-bias-first"])) if rank3 else draw(st.sampled_from(["gemm", "matmul"]))
        x, i = linear(f, x, n_in, n_out, i, form), i + 1
        activation = draw(st.sampled_from(ACTIVATIONS))
        if activation:
            x, i = f.node(activation, [x]), i + 1
    if draw(st.booleans()):
        x = f.node("Softmax", [x], axis=-1 if rank3 else 1)
    lead = [3] if rank3 else []
    model = f.model(["batch", *lead, sizes[0]], x, ["batch", *lead, sizes[-1]], opset=opset)
    return model, rng.standard_normal((draw(st.integers(1, 5)), *lead, sizes[0]))


@st.composite
def pytorch_cnns(draw):
    """`(model proto, x)`: Conv2d, maybe BatchNorm2d, ReLU, MaxPool2d blocks, then Flatten and a Linear head."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    f, opset = FileBuilder(rng), draw(st.sampled_from([13, 17, 20]))
    channels, size = draw(st.integers(1, 3)), draw(st.integers(4, 9))
    x, i, c, s = "input", 0, channels, size
    for _ in range(draw(st.integers(1, 2))):
        out, k, p, stride = draw(st.integers(1, 4)), draw(st.integers(1, 3)), draw(st.integers(0, 1)), draw(st.integers(1, 2))
        if (s + 2 * p - k) // stride + 1 < 2:
            break
        inputs = [x, f.weight(f"{i}.weight", (out, c, k, k))] + ([f.weight(f"{i}.bias", (out,))] if draw(st.booleans()) else [])
        x = f.node("Conv", inputs, dilations=[1, 1], group=1, kernel_shape=[k, k], pads=[p] * 4, strides=[stride] * 2)
        c, s, i = out, (s + 2 * p - k) // stride + 1, i + 1
        if draw(st.booleans()):
            arrays = [f.weight(f"{i}.{name}", (c,), *bounds) for name, bounds in
                      [("weight", (0.5, 1.5)), ("bias", (-1, 1)), ("running_mean", (-1, 1)), ("running_var", (0.5, 2))]]
            modes = {"training_mode": 0} if opset >= 14 else {}  # as the exporter writes it at each opset
            x, i = f.node("BatchNormalization", [x, *arrays], epsilon=1e-5, momentum=0.9, **modes), i + 1
        x, i = f.node("Relu", [x]), i + 1
        if s >= 2 and draw(st.booleans()):
            step = draw(st.integers(1, 2))
            x = f.node("MaxPool", [x], ceil_mode=0, dilations=[1, 1], kernel_shape=[2, 2], pads=[0] * 4, strides=[step] * 2)
            i, s = i + 1, (s - 2) // step + 1
    x, i = f.node("Flatten", [x], axis=1), i + 1
    n_out = draw(st.integers(1, 4))
    x = linear(f, x, c * s * s, n_out, i, "gemm")
    x = f.node(draw(st.sampled_from(["Sigmoid", "Tanh", "Softmax"])), [x])
    if f.nodes[-1].op_type == "Softmax":
        f.nodes[-1].attribute.append(helper.make_attribute("axis", 1))
    model = f.model(["batch", channels, size, size], x, ["batch", n_out], opset=opset)
    return model, rng.standard_normal((draw(st.integers(1, 4)), channels, size, size))


def pytorch_files():
    return st.one_of(pytorch_mlps(), pytorch_cnns())


def one_node_file(op_type, inputs, initializers=(), opset=20, domain="", x_shape=("batch", 3), name="the_node", **attributes):
    """A file whose graph is one node `op_type` on the float input `input` (with `initializers`): for refusals."""
    node = helper.make_node(op_type, ["input", *inputs], ["output"], name=name, domain=domain, **attributes)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(x_shape))],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, None)],
                              [onnx.numpy_helper.from_array(np.asarray(a, dtype=np.float32 if np.asarray(a).dtype.kind == "f" else np.int64), n)
                               for n, a in initializers])
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    return model
