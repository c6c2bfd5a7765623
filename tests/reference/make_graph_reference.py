"""Regenerate `graph_reference.json`: PyTorch's numbers for the fixed graphs of `tests/graph_cases.py`.

Run with PyTorch installed (`pip install torch==2.13.0`, the CPU build) from `tests/reference`:
`python make_graph_reference.py`. Weights, inputs and upstream gradients are drawn here with NumPy and
written into the JSON with PyTorch's outputs and gradients (float64), so the test needs no PyTorch.
Each graph is written again below in PyTorch, by hand; only the tinygraph graph's parameter names
and shapes are read from `graph_cases.py`.
"""

import json
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from graph_cases import CASES  # noqa: E402

rng = np.random.default_rng(20261213)


def linear(P, name, x):  # tinygraph's Dense: y = x @ W + b with W of shape (in, out)
    return x @ P[f"{name}.weight"] + P[f"{name}.bias"]


def diamond(P, x):
    h = linear(P, "dense", x)
    return (linear(P, "dense_2", torch.tanh(h) + torch.sigmoid(linear(P, "dense_1", h)) * h),)


def siamese(P, a, b):
    def encoder(x):
        return linear(P, "sequential.2", torch.tanh(linear(P, "sequential.0", x)))

    ea, eb = encoder(a), encoder(b)
    return (torch.sigmoid(linear(P, "dense", torch.cat([ea, eb, ea * eb], dim=-1))),)


def wide_and_deep(P, wide, deep):
    return (linear(P, "dense", wide) + linear(P, "dense_2", torch.relu(linear(P, "dense_1", deep))),)


def two_heads(P, x):
    h = torch.tanh(linear(P, "dense", x))
    return linear(P, "dense_1", h), torch.sigmoid(linear(P, "dense_2", h))


TORCH = {"diamond": diamond, "siamese": siamese, "wide_and_deep": wide_and_deep, "two_heads": two_heads}

cases = []
for name, (build, shapes, has_grad) in CASES.items():
    graph = build()
    state = {key: rng.uniform(-1, 1, value.shape) for key, value in graph.state_dict().items()}
    xs = [rng.standard_normal(shape) for shape in shapes]
    P = {key: torch.tensor(value, requires_grad=True) for key, value in state.items()}
    inputs = [torch.tensor(x, requires_grad=True) for x in xs]
    outputs = TORCH[name.split(",")[0]](P, *inputs)
    dys = [rng.standard_normal(tuple(y.shape)) if wanted else None for y, wanted in zip(outputs, has_grad)]
    torch.autograd.backward([y for y, dy in zip(outputs, dys) if dy is not None],
                            [torch.tensor(dy) for dy in dys if dy is not None])

    def grad_of(tensor):  # PyTorch leaves None where no gradient arrived: zero, as tinygraph gives
        return (tensor.grad if tensor.grad is not None else torch.zeros_like(tensor)).numpy().tolist()

    cases.append({
        "graph": name, "state": {key: value.tolist() for key, value in state.items()},
        "inputs": [x.tolist() for x in xs], "dys": [None if dy is None else dy.tolist() for dy in dys],
        "outputs": [y.detach().numpy().tolist() for y in outputs],
        "dxs": [grad_of(x) for x in inputs], "grads": {key: grad_of(p) for key, p in P.items()},
    })
out = Path(__file__).with_name("graph_reference.json")
out.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, indent=1) + "\n")
print(f"wrote {out} with PyTorch {torch.__version__}")
