"""Learning-rate schedules, stepped once per epoch, each setting its optimizer's `.lr` exactly as the
`torch.optim.lr_scheduler` class of the same name does.

    schedule = StepLR(optimizer, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        ...                      # one epoch of optimizer.step()
        schedule.step()          # the rate for the next epoch

`fit(..., schedule=schedule)` does the stepping and logs each epoch's rate as `"lr"`. As in PyTorch,
each rule is written as a change to the optimizer's current `lr` (so a rate set by hand between
epochs is carried on from), `base_lr` is the rate when the schedule was made, and `last_epoch`
counts the steps taken. Making a schedule is its step 0: `LinearLR` starts the rate at
`start_factor * base_lr` at once, the others leave it as it is.
"""

import math

from . import checks
from .optim.base import Optimizer, non_negative, positive, unit_interval


class Schedule:
    """Abstract base: `step()` sets `optimizer.lr = next_lr(optimizer.lr)` with `last_epoch` one higher."""

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: expected a tinygraph optimizer, got {checks.describe(optimizer)}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        optimizer.lr = self.first_lr(optimizer.lr)

    def first_lr(self, lr):
        """The rate at step 0, when the schedule is made."""
        return lr

    def next_lr(self, lr):
        """The rate after step `last_epoch` (already counted) from the current rate `lr`."""
        raise NotImplementedError

    def step(self):
        """Move to the next epoch: set the optimizer's `lr` for it (a rate the optimizer refuses, such as
        an overflow to Inf, raises its `ValueError` and leaves the schedule and the rate as they were)."""
        self.last_epoch += 1
        try:
            self.optimizer.lr = self.next_lr(self.optimizer.lr)
        except ValueError:
            self.last_epoch -= 1
            raise

    def __repr__(self):
        settings = ", ".join(f"{name}={value!r}" for name, value in vars(self).items()
                             if name not in ("optimizer", "base_lr", "last_epoch"))
        return f"{type(self).__name__}({settings})"


class StepLR(Schedule):
    """Multiply the rate by `gamma` every `step_size` epochs: `lr = base_lr * gamma ** (epoch // step_size)`."""

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = checks.integer("StepLR", "step_size", step_size)
        self.gamma = positive("StepLR", "gamma", gamma)
        super().__init__(optimizer)

    def next_lr(self, lr):
        return lr * self.gamma if self.last_epoch % self.step_size == 0 else lr


class ExponentialLR(Schedule):
    """Multiply the rate by `gamma` every epoch: `lr = base_lr * gamma ** epoch`."""

    def __init__(self, optimizer, gamma):
        self.gamma = positive("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer)

    def next_lr(self, lr):
        return lr * self.gamma


class CosineAnnealingLR(Schedule):
    """Half a cosine from `base_lr` down to `eta_min` over `T_max` epochs, then back up, and so on:

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    computed, as PyTorch does, as a ratio of consecutive values applied to the current rate (and,
    at the epoch after each minimum, as the first step's rise), so the numbers are PyTorch's own.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        self.T_max = checks.integer("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = non_negative("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer)

    def next_lr(self, lr):
        epoch, T_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if (epoch - 1 - T_max) % (2 * T_max) == 0:  # just past a minimum, where the ratio would be 0 / 0
            return lr + (self.base_lr - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
        ratio = (1 + math.cos(math.pi * epoch / T_max)) / (1 + math.cos(math.pi * (epoch - 1) / T_max))
        return ratio * (lr - eta_min) + eta_min


class LinearLR(Schedule):
    """Scale the rate linearly from `start_factor * base_lr` to `end_factor * base_lr` over
    `total_iters` epochs, then keep it (a warm-up when `start_factor < end_factor`):

        lr = base_lr * (start_factor + (end_factor - start_factor) * min(epoch, total_iters) / total_iters)

    computed, as PyTorch does, as the ratio of consecutive factors applied to the current rate.
    """

    def __init__(self, optimizer, start_factor=1 / 3, end_factor=1.0, total_iters=5):
        self.start_factor = checks.number("LinearLR", "start_factor", start_factor, low=0, high=1, low_open=True,
                                          high_open=False)
        self.end_factor = unit_interval("LinearLR", "end_factor", end_factor)
        self.total_iters = checks.integer("LinearLR", "total_iters", total_iters)
        super().__init__(optimizer)

    def first_lr(self, lr):
        return lr * self.start_factor

    def next_lr(self, lr):
        if self.last_epoch > self.total_iters:
            return lr
        change = self.end_factor - self.start_factor
        return lr * (1.0 + change / (self.total_iters * self.start_factor + (self.last_epoch - 1) * change))
