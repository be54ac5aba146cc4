"""Wilcoxon pruning (Optuna's rule): pair the trial's reports with the best trial's, step by step, and stop
the trial once a one-sided Wilcoxon signed-rank test says it is worse.

Meant for an objective that is a mean over problem instances (cross-validation folds, benchmark
instances): ``step`` is the instance's id, reported in any order, and a report is a value on that
instance, not a running estimate.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from pfnopt.exceptions import NoFeasibleTrialError
from pfnopt.pruners.base import BasePruner, check_float, check_int
from pfnopt.records import FrozenTrial, StudyDirection

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


def _finite_reports(trial: FrozenTrial, who: str) -> dict[int, float] | None:
    """The trial's reports as ``{step: value}``, or None (with a warning) if one is NaN or infinite."""
    reports = {int(s): float(v) for s, v in trial.intermediate_values.items()}
    if not all(math.isfinite(v) for v in reports.values()):
        warnings.warn(f"WilcoxonPruner: the reports of the {who} (trial {trial.number}) contain NaN or "
                      f"infinity; trial {trial.number} is not compared", stacklevel=3)
        return None
    return reports


class WilcoxonPruner(BasePruner):
    """Prune when the trial is, up to ``p_threshold``, worse than the best trial on the steps both reported.

    The test is ``scipy.stats.wilcoxon`` of the paired differences (this trial minus the best trial) with
    the one-sided alternative "this trial is worse" and ``zero_method="zsplit"`` (so all-equal pairs give
    p = 1, not an error). As in Optuna, a trial whose mean report is at least as good as the best trial's
    mean is never pruned, and neither is a trial, or a best trial, with a NaN or infinite report.

    Args:
        p_threshold: in ``[0, 1]``; larger prunes sooner.
        n_startup_steps: the fewest paired steps before a test (tests start at two pairs whatever this is).
    """

    def __init__(self, *, p_threshold: float = 0.1, n_startup_steps: int = 2):
        self.p_threshold = check_float("WilcoxonPruner", "p_threshold", p_threshold, 0.0, 1.0)
        self.n_startup_steps = check_int("WilcoxonPruner", "n_startup_steps", n_startup_steps, 0)

    def prune(self, study: "Study", trial: FrozenTrial) -> bool:
        if not trial.intermediate_values:
            return False
        mine = _finite_reports(trial, "current trial")
        if mine is None:
            return False
        try:
            best_trial = study.best_trial
        except NoFeasibleTrialError:
            return False
        if not best_trial.intermediate_values:
            warnings.warn(f"WilcoxonPruner: the best trial (trial {best_trial.number}) reported no values, so "
                          "no trial can be compared with it (add_trial(s) of a best trial: give it "
                          "intermediate_values)", stacklevel=2)
            return False
        best = _finite_reports(best_trial, "best trial")
        if best is None:
            return False

        shared = sorted(set(mine) & set(best))
        if len(shared) < len(mine):
            warnings.warn(f"WilcoxonPruner: trial {trial.number} reported steps the best trial "
                          f"(trial {best_trial.number}) did not; those steps are left out", stacklevel=2)
        if len(shared) < max(2, self.n_startup_steps):
            return False
        diffs = np.asarray([mine[s] - best[s] for s in shared])  # (n_shared,)

        minimize = study.direction == StudyDirection.MINIMIZE
        mean_mine, mean_best = float(np.mean(list(mine.values()))), float(np.mean(list(best.values())))
        # the means over ALL of each trial's reports, as Optuna compares them
        as_good_on_average = mean_mine <= mean_best if minimize else mean_mine >= mean_best

        from scipy.stats import wilcoxon  # scipy is heavy: imported on the first test

        p = float(wilcoxon(diffs, alternative="greater" if minimize else "less", zero_method="zsplit").pvalue)
        if p < self.p_threshold and as_good_on_average:
            return False  # the test says worse, the means say not: keep the trial for now
        return p < self.p_threshold
