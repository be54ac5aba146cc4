"""``report_cross_validation_scores``: where Optuna's terminator finds a trial's CV scores."""

from __future__ import annotations

from typing import Any, Sequence

from pfnopt.exceptions import InvalidValueError

CV_SCORES_KEY = "terminator:cv_scores"  # Optuna's system-attribute key


def report_cross_validation_scores(trial: Any, scores: Sequence[float]) -> None:
    """Store the cross-validation ``scores`` (at least two) of a running trial."""
    values = [float(s) for s in scores]
    if len(values) <= 1:
        raise InvalidValueError(f"report_cross_validation_scores needs at least two scores, got {values!r}")
    trial.study._storage.set_trial_attr(trial._trial_id, CV_SCORES_KEY, values, system=True)
