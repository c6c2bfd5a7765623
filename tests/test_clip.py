import json
from pathlib import Path

import numpy as np
import pytest

import tinygraph as tg

CASES = json.loads((Path(__file__).parent / "reference" / "torch_training_reference.json").read_text())["clip_grad_norm"]


def parameters_with(grads):
    """Parameters whose gradients are `grads` (None: no gradient, as PyTorch's `p.grad is None`)."""
    params = []
    for g in grads:
        p = tg.Parameter(np.zeros(np.shape(g) if g is not None else (2,)))
        if g is not None:
            p.grad += np.array(g)
        params.append(p)
    return params


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"max_norm={case['max_norm']}")
def test_clip_grad_norm_matches_pytorch(case):
    params = parameters_with(case["grads"])
    total_norm = tg.clip_grad_norm(params, case["max_norm"])
    assert isinstance(total_norm, float)
    np.testing.assert_allclose(total_norm, case["total_norm"], rtol=1e-14)
    for p, clipped in zip(params, case["clipped"]):
        if clipped is None:
            assert not p.has_grad
        else:
            np.testing.assert_allclose(p.grad, clipped, rtol=1e-14)


def clip_to_exactly_max_norm(params, max_norm):
    """A broken twin: scales by max_norm / total_norm, without PyTorch's 1e-6."""
    total_norm = float(np.linalg.norm([np.linalg.norm(p.grad) for p in params if p.has_grad]))
    for p in params:
        if p.has_grad and total_norm > max_norm:
            p.grad *= max_norm / total_norm
    return total_norm


def test_the_comparison_catches_a_clip_without_pytorchs_epsilon():
    clipped = [case for case in CASES if case["total_norm"] > case["max_norm"]]
    for case in clipped:
        params = parameters_with(case["grads"])
        clip_to_exactly_max_norm(params, case["max_norm"])
        assert not all(np.allclose(p.grad, c, rtol=1e-14, atol=0) for p, c in zip(params, case["clipped"]) if c is not None)


def test_the_reference_has_a_clipped_case_and_an_untouched_one():
    assert {case["total_norm"] > case["max_norm"] for case in CASES} == {True, False}


def test_clipping_keeps_the_direction_and_lands_just_below_max_norm():
    params = parameters_with([[3.0, 0.0], [0.0, 4.0]])
    assert tg.clip_grad_norm(params, max_norm=1.0) == 5.0
    np.testing.assert_allclose([p.grad for p in params], [[0.6, 0.0], [0.0, 0.8]], rtol=1e-6)
    assert np.linalg.norm([p.grad for p in params]) < 1.0


def test_a_non_finite_norm_is_returned_and_the_gradients_are_left_alone():
    params = parameters_with([[np.inf, 1.0]])
    assert tg.clip_grad_norm(params, 1.0) == np.inf
    np.testing.assert_array_equal(params[0].grad, [np.inf, 1.0])


@pytest.mark.parametrize("params, max_norm, error, match", [
    ([tg.Parameter([1.0])], 0.0, ValueError, "clip_grad_norm: max_norm must be > 0, got 0.0"),
    ([tg.Parameter([1.0])], "1", ValueError, "clip_grad_norm: max_norm must be a number"),
    ([], 1.0, ValueError, "clip_grad_norm: got an empty parameter list"),
    ([np.ones(2)], 1.0, TypeError, r"clip_grad_norm: params\[0\] must be a Parameter, got ndarray"),
    (tg.Sequential(tg.Dense(2, 2)), 1.0, TypeError, r"clip_grad_norm: pass the model's parameters, model.parameters\(\)"),
])
def test_bad_arguments_are_refused(params, max_norm, error, match):
    with pytest.raises(error, match=match):
        tg.clip_grad_norm(params, max_norm)
