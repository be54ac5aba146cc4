"""A trial whose worker vanished: fail it (only if still RUNNING) and enqueue its retry."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pfnopt.exceptions import TrialFinishedError
from pfnopt.records import FrozenTrial, TrialState

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


def fail_lost_trial(study: "Study", trial_id: int, reason: str) -> FrozenTrial:
    """Mark the trial FAIL with ``reason`` and queue a retry with the same parameters.

    The retry follows the study's ``max_retry`` and the lineage format of
    :meth:`pfnopt.Study.fail_stale_trials` (``fixed_params``, ``retried_from``, ``retry_lineage``).
    If the trial is already finished (its worker told it, or another process failed it first),
    nothing changes and the stored trial is returned: a trial is never finished, nor retried, twice.
    """
    storage = study._storage
    try:
        failed = storage.finish_trial(trial_id, TrialState.FAIL, None, None, {"fail_reason": reason})
    except TrialFinishedError:
        return storage.get_trial(trial_id)
    enqueue_retry(study, failed)
    return failed


def enqueue_retry(study: "Study", failed: FrozenTrial) -> FrozenTrial | None:
    """Queue the retry of ``failed`` (a trial this caller just failed) unless its lineage has used
    up the study's ``max_retry``; the WAITING retry, or None."""
    lineage = list(failed.system_attrs.get("retry_lineage", []))
    if len(lineage) >= study.max_retry:
        return None
    params = {**failed.system_attrs.get("fixed_params", {}), **failed.params}
    return study._storage.create_trial(
        study._study_id, state=TrialState.WAITING,
        system_attrs={"fixed_params": params, "retried_from": failed.number,
                      "retry_lineage": [*lineage, failed.number]},
    )
