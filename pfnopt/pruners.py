"""Pruners: stop unpromising trials early from their reported intermediate values.

Contract: ``prune(study, trial) -> bool`` is called by ``trial.should_prune()`` with a fresh
snapshot of the trial; it reads other trials through ``study.get_trials``. It must not write.
"""

from __future__ import annotations

import abc
import math
from typing import TYPE_CHECKING

import numpy as np

from pfnopt.exceptions import ParameterError
from pfnopt.records import FrozenTrial, StudyDirection, TrialState

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


class BasePruner(abc.ABC):
    @abc.abstractmethod
    def prune(self, study: "Study", trial: FrozenTrial) -> bool:
        """True if the trial should stop now."""


class NopPruner(BasePruner):
    """Never prunes."""

    def prune(self, study: "Study", trial: FrozenTrial) -> bool:
        return False


class MedianPruner(BasePruner):
    """Prune when the trial's value at its last step is worse than the median of the values that
    completed trials reported at the same step.

    Args:
        n_startup_trials: no pruning until this many trials have completed.
        n_warmup_steps: no pruning before this step.
        interval_steps: only check every this many steps (after the warm-up).
        n_min_trials: at least this many completed trials must have reported the step.
    """

    def __init__(self, n_startup_trials: int = 5, n_warmup_steps: int = 0, interval_steps: int = 1, n_min_trials: int = 1):
        for name, v, lo in (("n_startup_trials", n_startup_trials, 0), ("n_warmup_steps", n_warmup_steps, 0),
                            ("interval_steps", interval_steps, 1), ("n_min_trials", n_min_trials, 1)):
            if not isinstance(v, int) or v < lo:
                raise ParameterError(f"MedianPruner: {name} must be an integer >= {lo}, got {v!r}")
        self.n_startup_trials = n_startup_trials
        self.n_warmup_steps = n_warmup_steps
        self.interval_steps = interval_steps
        self.n_min_trials = n_min_trials

    def prune(self, study: "Study", trial: FrozenTrial) -> bool:
        step = trial.last_step
        if step is None or step < self.n_warmup_steps:
            return False
        if (step - self.n_warmup_steps) % self.interval_steps != 0:
            return False
        value = trial.intermediate_values[step]
        if math.isnan(value):
            return True
        done = study.get_trials(states=(TrialState.COMPLETE,))
        if len(done) < self.n_startup_trials:
            return False
        others = [t.intermediate_values[step] for t in done if step in t.intermediate_values]
        others = [v for v in others if not math.isnan(v)]
        if len(others) < self.n_min_trials:
            return False
        median = float(np.median(others))
        if study.direction == StudyDirection.MAXIMIZE:
            return value < median
        return value > median


def get_pruner(name: str | BasePruner | None) -> BasePruner:
    if isinstance(name, BasePruner):
        return name
    if name in (None, "none", "nop"):
        return NopPruner()
    if name == "median":
        return MedianPruner()
    raise ParameterError(f"unknown pruner {name!r}; allowed: none, median")


def create_pruner(name: str, **kwargs) -> BasePruner:
    """A pruner by name with its keyword arguments: ``create_pruner("median", n_startup_trials=3)``.

    (This branch knows "none" and "median"; the full registry replaces it.)
    """
    makers = {"none": NopPruner, "median": MedianPruner}
    if name not in makers:
        raise ParameterError(f"unknown pruner {name!r}; allowed: {', '.join(makers)}")
    try:
        return makers[name](**kwargs)
    except TypeError as e:
        raise ParameterError(f"pruner {name!r}: {e}") from None
