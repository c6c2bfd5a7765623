"""Regenerate `layer_reference.json`: PyTorch's own numbers for tinygraph's image, sequence and norm layers.

Run with PyTorch installed (`pip install torch==2.13.0`, the CPU build): `python make_layer_reference.py`.
For each case the JSON holds the layer's arguments (as tinygraph names them), its parameters, an input
`x`, an upstream gradient `dy`, and what PyTorch computed in float64: the output `y`, the input gradient
`dx` and every parameter's gradient. BatchNorm cases hold several training steps, the running
statistics after them, and one step in eval mode. The test suite reads the JSON and needs no PyTorch.
"""

import json
from pathlib import Path

import numpy as np
import torch

rng = np.random.default_rng(20261123)
torch.set_default_dtype(torch.float64)


def tensor(array, grad=False):
    return torch.tensor(array, dtype=torch.float64, requires_grad=grad)


def run(module, x, dy, integer_input=False):
    """One forward and backward of `module` at `x` with upstream `dy`: y, dx and the parameter gradients."""
    for p in module.parameters():
        p.grad = None
    x_t = torch.tensor(x) if integer_input else tensor(x, grad=True)
    y = module(x_t)
    y.backward(tensor(dy))
    return {
        "x": x.tolist(), "dy": dy.tolist(), "y": y.detach().numpy().tolist(),
        "dx": None if integer_input else x_t.grad.numpy().tolist(),
        "grads": {name: p.grad.numpy().tolist() for name, p in module.named_parameters()},
    }


def case(layer, args, module, x, integer_input=False, randomize=True):
    """A case: tinygraph's `layer(**args)` against `module`, its parameters drawn at random."""
    with torch.no_grad():
        for p in module.parameters():
            if randomize:
                p.copy_(tensor(rng.uniform(-1, 1, tuple(p.shape))))
    y_shape = module(torch.tensor(x) if integer_input else tensor(x)).shape
    dy = rng.standard_normal(tuple(y_shape))
    result = run(module, x, dy, integer_input)
    params = {name: p.detach().numpy().tolist() for name, p in module.named_parameters()}
    return {"layer": layer, "args": args, "params": params, **result}


def batchnorm_case(num_features, shape, momentum=0.1, eps=1e-5, steps=3):
    module = torch.nn.BatchNorm1d(num_features, eps=eps, momentum=momentum) if len(shape) < 4 else (
        torch.nn.BatchNorm2d(num_features, eps=eps, momentum=momentum))
    with torch.no_grad():
        module.weight.copy_(tensor(rng.uniform(0.5, 1.5, num_features)))
        module.bias.copy_(tensor(rng.uniform(-1, 1, num_features)))
    params = {name: p.detach().numpy().tolist() for name, p in module.named_parameters()}
    module.train()
    trained = [run(module, 2 + 3 * rng.standard_normal(shape), rng.standard_normal(shape)) for _ in range(steps)]
    module.eval()
    evaluated = run(module, rng.standard_normal(shape), rng.standard_normal(shape))
    return {
        "layer": "BatchNorm", "args": {"num_features": num_features, "eps": eps, "momentum": momentum}, "params": params,
        "steps": trained, "running_mean": module.running_mean.numpy().tolist(),
        "running_var": module.running_var.numpy().tolist(), "eval": evaluated,
    }


def normal(*shape):
    return rng.standard_normal(shape)


extremes = np.array([[-1e4, -50.0, -20.5, -3.0, -0.5, 0.0, 0.5, 3.0, 19.5, 20.5, 50.0, 1e4]])
cases = [
    case("Conv2D", {"in_channels": 3, "out_channels": 4, "kernel_size": 3, "padding": 1},
         torch.nn.Conv2d(3, 4, 3, padding=1), normal(2, 3, 5, 5)),
    case("Conv2D", {"in_channels": 2, "out_channels": 3, "kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 0]},
         torch.nn.Conv2d(2, 3, (3, 2), stride=(2, 1), padding=(1, 0)), normal(2, 2, 6, 5)),
    case("Conv2D", {"in_channels": 2, "out_channels": 2, "kernel_size": 2, "stride": 2, "bias": False},
         torch.nn.Conv2d(2, 2, 2, stride=2, bias=False), normal(1, 2, 5, 5)),
    case("Conv1D", {"in_channels": 3, "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1},
         torch.nn.Conv1d(3, 4, 3, stride=2, padding=1), normal(2, 3, 9)),
    case("Conv1D", {"in_channels": 2, "out_channels": 2, "kernel_size": 4},
         torch.nn.Conv1d(2, 2, 4), normal(3, 2, 6)),
    case("MaxPool2D", {"kernel_size": 2}, torch.nn.MaxPool2d(2), normal(2, 3, 6, 6)),
    case("MaxPool2D", {"kernel_size": 3, "stride": 2}, torch.nn.MaxPool2d(3, stride=2), normal(1, 2, 7, 7)),
    case("MaxPool2D", {"kernel_size": [2, 3]}, torch.nn.MaxPool2d((2, 3)), normal(1, 1, 5, 7)),
    case("MaxPool2D", {"kernel_size": 2, "stride": 1}, torch.nn.MaxPool2d(2, stride=1),  # ties in every window
         rng.integers(0, 3, (1, 2, 4, 4)).astype(np.float64)),
    case("AvgPool2D", {"kernel_size": 2}, torch.nn.AvgPool2d(2), normal(2, 3, 6, 6)),
    case("AvgPool2D", {"kernel_size": 3, "stride": 1}, torch.nn.AvgPool2d(3, stride=1), normal(1, 2, 5, 5)),
    case("MaxPool1D", {"kernel_size": 3}, torch.nn.MaxPool1d(3), normal(2, 3, 10)),
    case("AvgPool1D", {"kernel_size": 2, "stride": 1}, torch.nn.AvgPool1d(2, stride=1), normal(2, 2, 5)),
    case("Flatten", {}, torch.nn.Flatten(), normal(2, 3, 2, 2)),
    case("Reshape", {"shape": [2, 6]}, torch.nn.Unflatten(1, (2, 6)), normal(3, 12)),
    case("LayerNorm", {"normalized_shape": 4}, torch.nn.LayerNorm(4), 2 + 3 * normal(3, 5, 4)),
    case("LayerNorm", {"normalized_shape": [3, 4], "eps": 1e-3}, torch.nn.LayerNorm((3, 4), eps=1e-3), normal(2, 3, 4)),
    case("Embedding", {"num_embeddings": 7, "embedding_dim": 3}, torch.nn.Embedding(7, 3),
         np.array([[0, 3, 3, 6, 1], [3, 2, 0, 0, 3]]), integer_input=True),
    case("GELU", {}, torch.nn.GELU(approximate="tanh"), np.concatenate([extremes, normal(1, 12)])),
    case("ELU", {}, torch.nn.ELU(), np.concatenate([extremes, normal(1, 12)])),
    case("ELU", {"alpha": 0.5}, torch.nn.ELU(alpha=0.5), np.concatenate([extremes, normal(1, 12)])),
    case("SiLU", {}, torch.nn.SiLU(), np.concatenate([extremes, normal(1, 12)])),
    case("Softplus", {}, torch.nn.Softplus(), np.concatenate([extremes, normal(1, 12)])),
    case("Softplus", {"beta": 2.0, "threshold": 3.0}, torch.nn.Softplus(beta=2.0, threshold=3.0),
         np.concatenate([extremes, normal(1, 12)])),
    batchnorm_case(3, (4, 3)),
    batchnorm_case(3, (5, 3, 4)),
    batchnorm_case(2, (3, 2, 3, 4), momentum=0.3, eps=1e-3),
]
nan_windows = normal(1, 2, 4, 4)  # 2x2 windows with one NaN, with two or three, and with none
nan_windows.flat[[1, 6, 7, 15, 16, 18, 21, 24, 25, 28]] = np.nan
cases.append(case("MaxPool2D", {"kernel_size": 2}, torch.nn.MaxPool2d(2), nan_windows))  # dx: onto the last NaN
overlapping = normal(1, 1, 5, 5)  # windows that overlap, some with two NaNs (stride 1), and a sequence's
overlapping.flat[[1, 5, 6, 12, 13, 18, 24]] = np.nan
cases.append(case("MaxPool2D", {"kernel_size": 2, "stride": 1}, torch.nn.MaxPool2d(2, stride=1), overlapping))
sequence = normal(2, 2, 9)
sequence.flat[[0, 2, 4, 5, 11, 12, 20, 21, 22]] = np.nan
cases.append(case("MaxPool1D", {"kernel_size": 3, "stride": 2}, torch.nn.MaxPool1d(3, stride=2), sequence))
out = Path(__file__).with_name("layer_reference.json")
out.write_text(json.dumps({"torch": torch.__version__, "cases": cases}) + "\n")
print(f"wrote {out} with PyTorch {torch.__version__}: {len(cases)} cases")
