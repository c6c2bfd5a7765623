"""Regenerate `torch_*.onnx` and `onnx_reference.json`: ONNX files written by PyTorch's own exporters.

Run with PyTorch installed (`pip install torch==2.13.0`, the CPU build, and onnxscript for the default
exporter): `python make_onnx_reference.py`. Each file is a small model exported as PyTorch users export
it (eval mode, a dynamic batch axis, the weights inside the file), by the default exporter (torch.export)
and by the older TorchScript one (`dynamo=False`), which write different operators for the same
modules. The JSON holds, per file, an input and what PyTorch computed from it in float32. The test
suite (tests/test_onnx_torch_files.py) imports the files and needs no PyTorch.
"""

import json
import warnings
from pathlib import Path

import torch
from torch import nn

HERE = Path(__file__).resolve().parent
torch.manual_seed(20261125)


def randomized(module):
    """`module` in eval mode, with BatchNorm's running statistics and affine parameters made non-trivial."""
    for layer in module.modules():
        if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = layer.num_features
            layer.running_mean.uniform_(-1, 1)
            layer.running_var.uniform_(0.5, 2)
            layer.weight.data.uniform_(0.5, 1.5)
            layer.bias.data.uniform_(-1, 1)
            assert layer.running_mean.shape == (n,)
    return module.eval()


MODELS = {  # name -> (module, input, dynamo)
    "torch_mlp": (nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 3), nn.Softmax(dim=1)),
                  torch.randn(5, 4), True),
    "torch_mlp_legacy": (nn.Sequential(nn.Linear(4, 16), nn.BatchNorm1d(16), nn.Sigmoid(), nn.Linear(16, 3)), torch.randn(5, 4), False),
    "torch_tokens": (nn.Sequential(nn.Linear(6, 8), nn.GELU(approximate="tanh"), nn.LayerNorm(8), nn.Linear(8, 2)), torch.randn(3, 7, 6), True),
    "torch_cnn": (nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, stride=2),
                                nn.ReLU(), nn.Flatten(), nn.Linear(6, 10)), torch.randn(4, 1, 8, 8), True),
    "torch_cnn_legacy": (nn.Sequential(nn.Conv2d(2, 4, 3), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 3, 5)),
                         torch.randn(4, 2, 8, 8), False),
}


def export(name, module, x, dynamo):
    path = HERE / f"{name}.onnx"
    with warnings.catch_warnings(action="ignore"):
        if dynamo:
            torch.onnx.export(module, (x,), path, input_names=["input"], external_data=False,
                              dynamic_shapes=({0: torch.export.Dim("batch")},))
        else:
            torch.onnx.export(module, (x,), path, input_names=["input"], output_names=["output"], dynamo=False,
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    return path


reference = {}
for name, (module, x, dynamo) in MODELS.items():
    module = randomized(module)
    export(name, module, x, dynamo)
    with torch.no_grad():
        y = module(x)
    reference[name] = {"x": x.tolist(), "y": y.tolist(), "exporter": "torch.export" if dynamo else "TorchScript",
                       "torch": torch.__version__}
(HERE / "onnx_reference.json").write_text(json.dumps(reference) + "\n")
print("wrote", ", ".join(f"{name}.onnx" for name in MODELS), "and onnx_reference.json")
