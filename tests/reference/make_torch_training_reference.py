"""Regenerate `torch_training_reference.json`: PyTorch's own numbers for the training toolkit to match.

Every loss with every option combination (value and gradient; an upstream gradient for
`reduction="none"`), 20 steps of every optimizer configuration (some with the rate changed between
steps), every schedule's rate over 30 epochs, and `clip_grad_norm_`. Run with PyTorch installed
(`pip install torch==2.13.0`, the CPU build): `python make_torch_training_reference.py`. The test suite
reads the JSON, so it needs no PyTorch; every number in it comes from PyTorch, in float64.
"""

import itertools
import json
from pathlib import Path

import numpy as np
import torch

rng = np.random.default_rng(20270214)
F64 = torch.float64


def tensor(values, dtype=F64):
    return None if values is None else torch.tensor(values, dtype=dtype)


# -- losses ----------------------------------------------------------------------------------------

TORCH_LOSSES = {
    "MSE": lambda reduction="mean": torch.nn.MSELoss(reduction=reduction),
    "SumSquaredError": lambda reduction="sum": (lambda p, t: 0.5 * torch.nn.MSELoss(reduction=reduction)(p, t)),
    "L1": lambda reduction="mean": torch.nn.L1Loss(reduction=reduction),
    "Huber": lambda delta=1.0, reduction="mean": torch.nn.HuberLoss(reduction=reduction, delta=delta),
    "BinaryCrossEntropy": lambda weight=None, reduction="mean": torch.nn.BCELoss(weight=tensor(weight), reduction=reduction),
    "BCEWithLogits": lambda weight=None, pos_weight=None, reduction="mean": torch.nn.BCEWithLogitsLoss(
        weight=tensor(weight), pos_weight=tensor(pos_weight), reduction=reduction),
    "SoftmaxCrossEntropy": lambda weight=None, ignore_index=None, label_smoothing=0.0, reduction="mean":
        torch.nn.CrossEntropyLoss(weight=tensor(weight), ignore_index=-100 if ignore_index is None else ignore_index,
                                  label_smoothing=label_smoothing, reduction=reduction),
}


inputs = {}  # name -> array: the inputs the loss cases share, written once


def named(name, array):
    inputs[name] = np.asarray(array).tolist()
    return name


def loss_case(name, kwargs, pred, target):
    """The loss `name` with `kwargs` (tinygraph's names and defaults) at the inputs named `pred` and `target`,
    as PyTorch computes it (integer targets are labels)."""
    p = torch.tensor(inputs[pred], dtype=F64, requires_grad=True)
    labels = np.asarray(inputs[target]).dtype.kind == "i"
    value = TORCH_LOSSES[name](**kwargs)(p, tensor(inputs[target], torch.int64 if labels else F64))
    dloss = rng.standard_normal(value.shape) if kwargs.get("reduction") == "none" else None
    value.backward(None if dloss is None else tensor(dloss))
    return {"loss": name, "kwargs": kwargs, "pred": pred, "target": target,
            "dloss": None if dloss is None else dloss.tolist(), "value": value.tolist(), "grad": p.grad.tolist()}


def options(**choices):
    """Every combination of the given option values, leaving out the ones that are None."""
    names = list(choices)
    for values in itertools.product(*choices.values()):
        yield {name: value for name, value in zip(names, values) if value is not None}


losses = []
REDUCTIONS = ["mean", "sum", "none"]

pred, target = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
target[0, 0] = pred[0, 0]  # one exact tie: the gradient of |d| there is 0 in PyTorch
pred, target = named("pred", pred), named("target", target)
for name in ("MSE", "SumSquaredError", "L1"):
    losses += [loss_case(name, kwargs, pred, target) for kwargs in options(reduction=REDUCTIONS)]
wide = named("wide pred", 2 * np.array(inputs[pred]))  # differences both within and beyond each delta
losses += [loss_case("Huber", kwargs, wide, target) for kwargs in options(delta=[None, 0.5, 2.5], reduction=REDUCTIONS)]

probabilities, soft_targets = rng.uniform(0.01, 0.99, (6, 2)), rng.uniform(0, 1, (6, 2))
probabilities[0] = [0.0, 1.0]  # the clamped logs
probabilities, soft_targets = named("probabilities", probabilities), named("soft targets", soft_targets)
for weight in (None, rng.uniform(0.1, 2, (6, 2)), np.array([0.5, 2.0])):
    losses += [loss_case("BinaryCrossEntropy", kwargs, probabilities, soft_targets)
               for kwargs in options(weight=[None if weight is None else weight.tolist()], reduction=REDUCTIONS)]

logits, binary = 3 * rng.standard_normal((6, 3)), rng.integers(0, 2, (6, 3)).astype(float)
logits[0] = [1e4, -1e4, 0.0]
binary[0] = [0.0, 1.0, 1.0]  # losses of 1e4 at the extreme logits
binary[1] = [0.3, 0.7, 0.5]  # soft targets too
logits, binary = named("logits", logits), named("binary targets", binary)
losses += [loss_case("BCEWithLogits", kwargs, logits, binary)
           for kwargs in options(weight=[None, [0.5, 1.0, 2.0], rng.uniform(0.1, 2, (6, 3)).tolist()],
                                 pos_weight=[None, [3.0, 0.5, 1.0]], reduction=REDUCTIONS)]

for shape in ((7, 4), (2, 4, 3, 2)):  # (N, K) and (N, K, d1, d2)
    logits = 3 * rng.standard_normal(shape)
    label_shape = shape[:1] + shape[2:]
    labels = rng.integers(0, 4, label_shape)
    labels.flat[:3] = [2, 0, 2]  # class 2 appears (ignore_index=2 ignores it)
    padded = labels.copy()
    padded.flat[1::3] = -100  # padding, as a sequence model's labels have it
    logits, labels, padded = (named(f"{kind} {shape}", array) for kind, array in
                              (("class logits", logits), ("labels", labels), ("padded labels", padded)))
    for kwargs in options(weight=[None, [0.3, 2.2, 1.1, 3.7]], ignore_index=[None, 2, -100],
                          label_smoothing=[None, 0.2], reduction=REDUCTIONS):
        target = padded if kwargs.get("ignore_index") == -100 else labels
        losses.append(loss_case("SoftmaxCrossEntropy", kwargs, logits, target))
    probs = named(f"class probabilities {shape}", np.moveaxis(rng.dirichlet(np.ones(4), size=label_shape), -1, 1))
    losses += [loss_case("SoftmaxCrossEntropy", kwargs, logits, probs)
               for kwargs in options(weight=[None, [0.3, 2.2, 1.1, 3.7]], label_smoothing=[None, 0.2],
                                     reduction=REDUCTIONS)]
everything_ignored = named("padding only", np.full(4, -100))
few_logits = named("class logits (4, 3)", rng.standard_normal((4, 3)))
losses += [loss_case("SoftmaxCrossEntropy", kwargs, few_logits, everything_ignored)
           for kwargs in options(weight=[None, [1.0, 2.0, 3.0]], ignore_index=[-100], reduction=["sum", "none"])]


# -- optimizers -------------------------------------------------------------------------------------


start = rng.standard_normal((2, 3))  # every configuration starts here and gets these gradients
grads = [rng.standard_normal((2, 3)) for _ in range(20)]


def optimizer_case(name, kwargs, change_lr=False):
    """20 steps of `torch.optim.<name>(**kwargs)` from `start` with `grads` (the rate changed before each if `change_lr`)."""
    lrs = [kwargs.get("lr", 0.01) * 0.8**k for k in range(len(grads))] if change_lr else None
    p = torch.tensor(start, dtype=F64, requires_grad=True)
    opt = getattr(torch.optim, name)([p], **kwargs)
    values = []
    for k, g in enumerate(grads):
        if lrs:
            opt.param_groups[0]["lr"] = lrs[k]
        p.grad = torch.tensor(g, dtype=F64)
        opt.step()
        values.append(p.detach().numpy().copy().tolist())
    return {"optimizer": name, "kwargs": kwargs, "lrs": lrs, "values": values}


optimizers = [
    optimizer_case("SGD", {"lr": 0.1}),
    optimizer_case("SGD", {"lr": 0.1, "momentum": 0.9}, change_lr=True),
    optimizer_case("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.5}),
    optimizer_case("SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.1}),
    optimizer_case("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    optimizer_case("SGD", {"lr": 0.3, "weight_decay": 0.5}),
    optimizer_case("SGD", {"lr": 0.1, "maximize": True}),
    optimizer_case("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01, "maximize": True}),
    optimizer_case("Adam", {"lr": 0.001}),
    optimizer_case("Adam", {"lr": 0.1, "betas": [0.8, 0.9], "eps": 1e-6, "weight_decay": 0.1}, change_lr=True),
    optimizer_case("Adam", {"lr": 0.05, "amsgrad": True}),
    optimizer_case("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "maximize": True}),
    optimizer_case("Adam", {"lr": 0.05, "maximize": True}),
    optimizer_case("AdamW", {}),
    optimizer_case("AdamW", {"lr": 0.05, "weight_decay": 0.1}, change_lr=True),
    optimizer_case("AdamW", {"lr": 0.05, "amsgrad": True}),
    optimizer_case("AdamW", {"lr": 0.05, "betas": [0.5, 0.8], "eps": 1e-4, "amsgrad": True, "maximize": True}),
    optimizer_case("AdamW", {"lr": 0.05, "weight_decay": 0.0}),
    optimizer_case("RMSprop", {}),
    optimizer_case("RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-6}),
    optimizer_case("RMSprop", {"lr": 0.01, "momentum": 0.9}, change_lr=True),
    optimizer_case("RMSprop", {"lr": 0.01, "centered": True}),
    optimizer_case("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    optimizer_case("RMSprop", {"lr": 0.01, "weight_decay": 0.1}),
    optimizer_case("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.9, "weight_decay": 0.1, "maximize": True}),
    optimizer_case("Adagrad", {}),
    optimizer_case("Adagrad", {"lr": 0.1, "weight_decay": 0.1}, change_lr=True),
    optimizer_case("Adagrad", {"lr": 0.1, "eps": 1e-3}),
    optimizer_case("Adagrad", {"lr": 0.1, "weight_decay": 0.05, "maximize": True}),
]


# -- schedules --------------------------------------------------------------------------------------


def schedule_case(name, kwargs, lr=0.1, epochs=30, set_by_hand=None):
    """The optimizer's rate when `lr_scheduler.<name>` is made and after each of `epochs` steps;
    `set_by_hand=(epoch, lr)` sets the rate by hand after that step, as a user may."""
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
    schedule = getattr(torch.optim.lr_scheduler, name)(opt, **kwargs)
    lrs = [opt.param_groups[0]["lr"]]
    for epoch in range(1, epochs + 1):
        opt.step()  # no gradient: nothing moves, but PyTorch wants a step before the schedule's
        schedule.step()
        if set_by_hand and epoch == set_by_hand[0]:
            opt.param_groups[0]["lr"] = set_by_hand[1]
        lrs.append(opt.param_groups[0]["lr"])
    return {"schedule": name, "kwargs": kwargs, "lr": lr, "set_by_hand": set_by_hand, "lrs": lrs}


schedules = [
    schedule_case("StepLR", {"step_size": 7}),
    schedule_case("StepLR", {"step_size": 3, "gamma": 0.5}, set_by_hand=(10, 0.2)),
    schedule_case("ExponentialLR", {"gamma": 0.9}),
    schedule_case("ExponentialLR", {"gamma": 0.5}, lr=1.0),
    schedule_case("CosineAnnealingLR", {"T_max": 10}),
    schedule_case("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}, lr=0.05),
    schedule_case("CosineAnnealingLR", {"T_max": 30}, set_by_hand=(12, 0.3)),
    schedule_case("LinearLR", {}),
    schedule_case("LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 10}),
    schedule_case("LinearLR", {"start_factor": 1.0, "end_factor": 0.0, "total_iters": 20}),
    schedule_case("LinearLR", {"start_factor": 0.5, "end_factor": 0.25, "total_iters": 4}, lr=0.3),
]


# -- clip_grad_norm ---------------------------------------------------------------------------------


def clip_case(max_norm, shapes, without_grad=()):
    """`clip_grad_norm_` on parameters of `shapes` with random gradients (none for the indices `without_grad`)."""
    grads = [None if i in without_grad else 2 * rng.standard_normal(shape) for i, shape in enumerate(shapes)]
    params = [torch.zeros(shape, dtype=F64, requires_grad=True) for shape in shapes]
    for p, g in zip(params, grads):
        p.grad = tensor(g)
    total_norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return {"max_norm": max_norm, "grads": [None if g is None else g.tolist() for g in grads],
            "total_norm": total_norm.item(), "clipped": [None if p.grad is None else p.grad.tolist() for p in params]}


clips = [
    clip_case(1.0, [(3, 4), (4,), (4, 2)]),
    clip_case(100.0, [(3, 4), (4,)]),
    clip_case(0.5, [(2, 2), (3,), (2,)], without_grad=(1,)),
]

out = Path(__file__).with_name("torch_training_reference.json")
sections = {"losses": losses, "optimizers": optimizers, "schedules": schedules, "clip_grad_norm": clips}
shared = {"loss inputs": inputs, "optimizer start": start.tolist(), "optimizer grads": [g.tolist() for g in grads]}
text = "{\n" + f' "torch": {json.dumps(torch.__version__)},\n' + "".join(
    f" {json.dumps(name)}: {json.dumps(value)},\n" for name, value in shared.items()) + ",\n".join(
    f" {json.dumps(name)}: [\n" + ",\n".join("  " + json.dumps(case) for case in cases) + "\n ]"
    for name, cases in sections.items()
) + "\n}\n"
out.write_text(text)
print(f"wrote {out} with PyTorch {torch.__version__}: " + ", ".join(f"{len(v)} {k}" for k, v in sections.items()))
