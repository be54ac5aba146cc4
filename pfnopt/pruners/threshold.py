"""Rule-of-thumb pruners that look at the trial alone: a value outside bounds, or no progress for a while."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from pfnopt.exceptions import ParameterError
from pfnopt.pruners.base import BasePruner, check_float, check_int, is_check_step
from pfnopt.records import FrozenTrial, StudyDirection

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


class ThresholdPruner(BasePruner):
    """Prune when the latest value is NaN, below ``lower`` or above ``upper`` (after ``n_warmup_steps``,
    every ``interval_steps``)."""

    def __init__(self, lower: float | None = None, upper: float | None = None, n_warmup_steps: int = 0,
                 interval_steps: int = 1):
        if lower is None and upper is None:
            raise ParameterError("ThresholdPruner: give lower, upper or both (both are None)")
        self.lower = -math.inf if lower is None else check_float("ThresholdPruner", "lower", lower)
        self.upper = math.inf if upper is None else check_float("ThresholdPruner", "upper", upper)
        if self.lower > self.upper:
            raise ParameterError(f"ThresholdPruner: lower={lower!r} must not exceed upper={upper!r}")
        self.n_warmup_steps = check_int("ThresholdPruner", "n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = check_int("ThresholdPruner", "interval_steps", interval_steps, 1)

    def prune(self, study: "Study", trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or step < self.n_warmup_steps:
            return False
        if not is_check_step(step, trial.intermediate_values, self.n_warmup_steps, self.interval_steps):
            return False
        value = trial.intermediate_values[step]
        return math.isnan(value) or value < self.lower or value > self.upper


class PatientPruner(BasePruner):
    """Prune when the best of the last ``patience + 1`` values is not better, by ``min_delta``, than the best
    before them; with ``wrapped_pruner``, only stalled trials are handed to it and it decides."""

    def __init__(self, wrapped_pruner: BasePruner | None, patience: int, min_delta: float = 0.0):
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, BasePruner):
            raise ParameterError(f"PatientPruner: wrapped_pruner must be a pruner or None, got {wrapped_pruner!r}")
        self.wrapped_pruner = wrapped_pruner
        self.patience = check_int("PatientPruner", "patience", patience, 0)
        self.min_delta = check_float("PatientPruner", "min_delta", min_delta, 0.0)

    def prune(self, study: "Study", trial: FrozenTrial) -> bool:
        if trial.last_step is None:
            return False
        steps = sorted(trial.intermediate_values)
        if len(steps) <= self.patience + 1:
            return False
        before = np.asarray([trial.intermediate_values[s] for s in steps[: -self.patience - 1]], float)
        after = np.asarray([trial.intermediate_values[s] for s in steps[-self.patience - 1 :]], float)
        if study.direction == StudyDirection.MINIMIZE:
            stalled = np.nanmin(before) + self.min_delta < np.nanmin(after)
        else:
            stalled = np.nanmax(before) - self.min_delta > np.nanmax(after)
        if not stalled:
            return False
        return True if self.wrapped_pruner is None else self.wrapped_pruner.prune(study, trial)
