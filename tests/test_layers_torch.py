"""The image, sequence and norm layers equal PyTorch's, forward and backward, in float64 to 1e-10.

The numbers come from `reference/make_layer_reference.py` (PyTorch 2.13, float64), committed beside it
as `reference/layer_reference.json`. Each broken twin below differs from the real layer in one place
and must fail the same comparison.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import tinygraph as tg
import twins

CASES = json.loads((Path(__file__).parent / "reference" / "layer_reference.json").read_text())["cases"]
TOLERANCE = dict(rtol=1e-10, atol=1e-10, equal_nan=True)  # float64 sums in another order differ by ~1e-15
# relative; a NaN must be where PyTorch has one (a max pooling window holding NaN)


def make(case, cls=None):
    """The tinygraph layer a case describes, with PyTorch's parameter values."""
    cls = cls or getattr(tg, case["layer"])
    args = dict(case["args"])
    layer = cls(*args.pop("shape")) if case["layer"] == "Reshape" else cls(**args)
    layer.load_state_dict({name: np.array(value) for name, value in case["params"].items()}, strict=False)
    return layer


def mismatches(layer, step):
    """The names of what differs from PyTorch's numbers in one forward and backward of `step`."""
    x = np.array(step["x"])
    layer.zero_grad()
    found = []
    y = layer(x)
    if not np.allclose(y, step["y"], **TOLERANCE):
        found.append("y")
    dx = layer.backward(np.array(step["dy"]))
    if step["dx"] is None:
        if dx is not None:
            found.append("dx (expected None)")
    elif not np.allclose(dx, step["dx"], **TOLERANCE):
        found.append("dx")
    grads = dict(layer.named_parameters())
    found += [name for name, grad in step["grads"].items() if not np.allclose(grads[name].grad, grad, **TOLERANCE)]
    return found


def check_case(case, cls=None):
    layer = make(case, cls)
    if case["layer"] != "BatchNorm":
        return mismatches(layer, case)
    found = []
    for i, step in enumerate(case["steps"]):
        found += [f"step {i}: {name}" for name in mismatches(layer, step)]
    for name in ("running_mean", "running_var"):
        if not np.allclose(getattr(layer, name), case[name], **TOLERANCE):
            found.append(name)
    layer.eval()
    return found + [f"eval: {name}" for name in mismatches(layer, case["eval"])]


def label(case):
    return f"{case['layer']}({', '.join(f'{k}={v}' for k, v in case['args'].items())})"


@pytest.mark.parametrize("case", CASES, ids=label)
def test_layer_equals_pytorch_forward_and_backward(case):
    assert check_case(case) == []


def test_every_new_layer_is_compared_with_pytorch():
    compared = {case["layer"] for case in CASES}
    assert compared == {"Conv2D", "Conv1D", "MaxPool2D", "AvgPool2D", "MaxPool1D", "AvgPool1D", "Flatten", "Reshape",
                        "BatchNorm", "LayerNorm", "Embedding", "GELU", "ELU", "SiLU", "Softplus"}


def test_batchnorm_cases_take_several_steps_and_move_the_running_statistics():
    for case in (c for c in CASES if c["layer"] == "BatchNorm"):
        assert len(case["steps"]) >= 3
        assert not np.allclose(case["running_mean"], 0) and not np.allclose(case["running_var"], 1)


def first_case(layer, **args):
    return next(c for c in CASES if c["layer"] == layer and all(c["args"].get(k) == v for k, v in args.items()))


NAN_TILES = next(c for c in CASES if c["layer"] == "MaxPool2D" and c["args"] == {"kernel_size": 2} and np.isnan(c["x"]).any())


@pytest.mark.parametrize(
    "twin, case, expected",
    [
        (twins.OverwritingCol2imConv2D, first_case("Conv2D", padding=1), ["dx"]),
        (twins.TwoTermBatchNorm, first_case("BatchNorm", num_features=3), ["step 0: dx", "step 1: dx", "step 2: dx", "eval: dx"]),
        (twins.BiasedRunningVarBatchNorm, first_case("BatchNorm", num_features=3), ["running_var", "eval: y", "eval: dx", "eval: weight"]),
        (twins.LastIndexWinsEmbedding, first_case("Embedding"), ["weight"]),
        (twins.ExactGELU, first_case("GELU"), ["y", "dx"]),
        (twins.AllTiesMaxPool2D, first_case("MaxPool2D", stride=1), ["dx"]),  # PyTorch: only the first maximum
        (twins.FirstNaNMaxPool2D, NAN_TILES, ["dx"]),  # PyTorch: a NaN takes over, so the last NaN
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else None,
)
def test_the_comparison_catches_each_broken_twin(twin, case, expected):
    assert check_case(case, twin) == expected

