"""Regenerate `torch_reference.json`: PyTorch's own numbers for tinygraph's losses and optimizers to match.

Run with PyTorch installed (`pip install torch==2.13.0`, the CPU build): `python make_torch_reference.py`.
The test suite reads the JSON, so it needs no PyTorch; every number in it comes from PyTorch, in float64.
"""

import json
from pathlib import Path

import numpy as np
import torch

rng = np.random.default_rng(20261121)


def loss_case(name, torch_loss, pred, target, target_dtype=torch.float64):
    p = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    value = torch_loss(p, torch.tensor(target, dtype=target_dtype))
    value.backward()
    return {"loss": name, "pred": pred.tolist(), "target": target.tolist(), "value": value.item(), "grad": p.grad.tolist()}


def optimizer_case(name, make, kwargs, steps=5):
    p0 = rng.standard_normal((3, 4))
    grads = [rng.standard_normal((3, 4)) for _ in range(steps)]
    p = torch.tensor(p0, dtype=torch.float64, requires_grad=True)
    opt = make([p], **kwargs)
    values = []
    for g in grads:
        p.grad = torch.tensor(g, dtype=torch.float64)
        opt.step()
        values.append(p.detach().numpy().copy().tolist())
    return {"optimizer": name, "kwargs": kwargs, "start": p0.tolist(), "grads": [g.tolist() for g in grads], "values": values}


probabilities = rng.dirichlet(np.ones(4), size=7)
edge_pred = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1e-50]])
losses = [
    loss_case("MSE", torch.nn.MSELoss(), rng.standard_normal((5, 3)), rng.standard_normal((5, 3))),
    loss_case("SumSquaredError", lambda p, t: 0.5 * torch.nn.MSELoss(reduction="sum")(p, t),
              rng.standard_normal((4, 1)), rng.standard_normal((4, 1))),
    loss_case("BinaryCrossEntropy", torch.nn.BCELoss(), rng.uniform(0.01, 0.99, (6, 2)), rng.uniform(0, 1, (6, 2))),
    loss_case("BinaryCrossEntropy", torch.nn.BCELoss(), edge_pred, np.array([[0.0, 1.0, 1.0], [0.0, 1.0, 1.0]])),
    loss_case("SoftmaxCrossEntropy", torch.nn.CrossEntropyLoss(), 3 * rng.standard_normal((7, 4)),
              rng.integers(0, 4, 7), target_dtype=torch.int64),
    loss_case("SoftmaxCrossEntropy", torch.nn.CrossEntropyLoss(), 3 * rng.standard_normal((7, 4)), probabilities),
    loss_case("SoftmaxCrossEntropy", torch.nn.CrossEntropyLoss(), np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0]]),
              np.array([1, 1]), target_dtype=torch.int64),
]
optimizers = [
    optimizer_case("SGD", torch.optim.SGD, {"lr": 0.1}),
    optimizer_case("SGD", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    optimizer_case("SGD", torch.optim.SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    optimizer_case("SGD", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
    optimizer_case("SGD", torch.optim.SGD, {"lr": 0.3, "weight_decay": 0.5}),
    optimizer_case("Adam", torch.optim.Adam, {"lr": 0.001}),
    optimizer_case("Adam", torch.optim.Adam, {"lr": 0.1, "betas": [0.8, 0.9], "eps": 1e-6, "weight_decay": 0.1}),
]
out = Path(__file__).with_name("torch_reference.json")
out.write_text(json.dumps({"torch": torch.__version__, "losses": losses, "optimizers": optimizers}, indent=1) + "\n")
print(f"wrote {out} with PyTorch {torch.__version__}")
