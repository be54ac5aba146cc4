"""Percentile and median pruning (Optuna's rule): compare the trial's best value so far with a percentile
of the values that completed trials reported at the same step."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from pfnopt.pruners.base import BasePruner, best_so_far, check_float, check_int, is_check_step
from pfnopt.records import FrozenTrial, StudyDirection, TrialState

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


class PercentilePruner(BasePruner):
    """Prune when the trial's best intermediate value is outside the top ``percentile`` % of the values that
    completed trials reported at the current step.

    Args:
        percentile: in ``[0, 100]``; 25 keeps trials in the best quarter.
        n_startup_trials: no pruning until this many trials have completed.
        n_warmup_steps: no pruning before this step (the earliest check is at ``step == n_warmup_steps``).
        interval_steps: check every this many steps after the warm-up.
        n_min_trials: at least this many completed trials must have reported the current step.
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        n_min_trials: int = 1,
    ):
        owner = type(self).__name__
        self.percentile = check_float(owner, "percentile", percentile, 0.0, 100.0)
        self.n_startup_trials = check_int(owner, "n_startup_trials", n_startup_trials, 0)
        self.n_warmup_steps = check_int(owner, "n_warmup_steps", n_warmup_steps, 0)
        self.interval_steps = check_int(owner, "interval_steps", interval_steps, 1)
        self.n_min_trials = check_int(owner, "n_min_trials", n_min_trials, 1)

    def prune(self, study: "Study", trial: FrozenTrial) -> bool:
        done = study.get_trials(states=(TrialState.COMPLETE,))
        if not done or len(done) < self.n_startup_trials:
            return False
        step = trial.last_step
        if step is None or step < self.n_warmup_steps:
            return False
        if not is_check_step(step, trial.intermediate_values, self.n_warmup_steps, self.interval_steps):
            return False
        direction = study.direction
        best = best_so_far(trial, direction)
        if math.isnan(best):
            return True
        others = np.asarray([t.intermediate_values[step] for t in done if step in t.intermediate_values], float)
        if len(others) < self.n_min_trials or np.isnan(others).all():
            return False
        q = 100.0 - self.percentile if direction == StudyDirection.MAXIMIZE else self.percentile
        cut = float(np.nanpercentile(others, q))
        return best < cut if direction == StudyDirection.MAXIMIZE else best > cut


class MedianPruner(PercentilePruner):
    """Prune when the trial's best value so far is worse than the median of the completed trials' values at
    the same step (Optuna's default pruner, and pfnopt's)."""

    def __init__(self, n_startup_trials: int = 5, n_warmup_steps: int = 0, interval_steps: int = 1,
                 n_min_trials: int = 1):
        super().__init__(50.0, n_startup_trials, n_warmup_steps, interval_steps, n_min_trials)
