import inspect
import json
from pathlib import Path

import numpy as np
import pytest

import tinygraph as tg
from tinygraph import schedules

CASES = json.loads((Path(__file__).parent / "reference" / "torch_training_reference.json").read_text())["schedules"]
KINDS = [schedules.StepLR, schedules.ExponentialLR, schedules.CosineAnnealingLR, schedules.LinearLR]


def rates(case, make=None):
    """The optimizer's lr when the schedule is made and after each of 30 steps, as the reference case runs it."""
    opt = tg.SGD([tg.Parameter([0.0])], lr=case["lr"])
    schedule = (make or getattr(schedules, case["schedule"]))(opt, **case["kwargs"])
    lrs = [opt.lr]
    for epoch in range(1, 31):
        schedule.step()
        if case["set_by_hand"] and epoch == case["set_by_hand"][0]:
            opt.lr = case["set_by_hand"][1]
        lrs.append(opt.lr)
    return lrs


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case['schedule']}{case['kwargs']}")
def test_every_schedule_sets_exactly_pytorchs_rates_over_30_epochs(case):
    assert rates(case) == case["lrs"]  # bit for bit: the same float arithmetic in the same order


def test_the_reference_covers_every_schedule_and_option():
    for kind in KINDS:
        cases = [case for case in CASES if case["schedule"] == kind.__name__]
        options = {name for case in cases for name in case["kwargs"]}
        assert cases and options == set(inspect.signature(kind).parameters) - {"optimizer"}
    assert any(case["set_by_hand"] for case in CASES)


class ClosedFormCosine(schedules.CosineAnnealingLR):
    """The textbook formula from base_lr: equal in exact arithmetic, different in the last bits."""

    def next_lr(self, lr):
        return self.eta_min + (self.base_lr - self.eta_min) * (1 + np.cos(np.pi * self.last_epoch / self.T_max)) / 2


class StepsEveryEpochLR(schedules.StepLR):
    """Decays every epoch instead of every step_size epochs."""

    def next_lr(self, lr):
        return lr * self.gamma


@pytest.mark.parametrize("twin", [ClosedFormCosine, StepsEveryEpochLR])
def test_the_exact_comparison_catches_a_schedule_off_by_rounding_or_by_rule(twin):
    cases = [case for case in CASES if case["schedule"] == twin.__bases__[0].__name__]
    assert all(rates(case, twin) != case["lrs"] for case in cases)


def test_a_schedule_reads_the_rate_it_starts_from_and_linear_warm_up_applies_at_once():
    opt = tg.Adam([tg.Parameter([0.0])], lr=0.3)
    schedule = schedules.LinearLR(opt, start_factor=0.5, total_iters=2)
    assert (schedule.base_lr, opt.lr, schedule.last_epoch) == (0.3, 0.15, 0)
    schedule.step()
    schedule.step()
    assert opt.lr == pytest.approx(0.3) and schedule.last_epoch == 2
    assert repr(schedule) == "LinearLR(start_factor=0.5, end_factor=1.0, total_iters=2)"


@pytest.mark.parametrize("make, error, match", [
    (lambda opt: schedules.StepLR(opt, step_size=0), ValueError, "StepLR: step_size must be an int >= 1, got 0"),
    (lambda opt: schedules.StepLR(opt, 2, gamma=0), ValueError, "StepLR: gamma must be > 0, got 0.0"),
    (lambda opt: schedules.ExponentialLR(opt, gamma=float("inf")), ValueError, "ExponentialLR: gamma must be > 0"),
    (lambda opt: schedules.CosineAnnealingLR(opt, T_max=2.5), ValueError, "CosineAnnealingLR: T_max must be an int"),
    (lambda opt: schedules.CosineAnnealingLR(opt, 5, eta_min=-1), ValueError, "eta_min must be >= 0"),
    (lambda opt: schedules.LinearLR(opt, start_factor=0), ValueError, r"LinearLR: start_factor must be in \(0, 1\]"),
    (lambda opt: schedules.LinearLR(opt, end_factor=2), ValueError, r"LinearLR: end_factor must be in \[0, 1\]"),
    (lambda opt: schedules.StepLR(tg.Sequential(), 2), TypeError, "StepLR: expected a tinygraph optimizer, got Sequential"),
])
def test_bad_schedule_arguments_are_refused_and_leave_the_rate_alone(make, error, match):
    opt = tg.SGD([tg.Parameter([0.0])], lr=0.1)
    with pytest.raises(error, match=match):
        make(opt)
    assert opt.lr == 0.1
