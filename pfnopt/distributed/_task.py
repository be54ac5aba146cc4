"""The worker's side of a Dask trial: open the study by URL, evaluate, heartbeat, tell."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from pfnopt.distributed._channel import DriverSampler, DriverUnreachableError
from pfnopt.distributed._lost import enqueue_retry, fail_lost_trial
from pfnopt.exceptions import TrialFinishedError
from pfnopt.records import FrozenTrial, TrialState
from pfnopt.space import SearchSpace

# The system attribute a task sets when it starts a trial: a second run of the task (Dask
# reschedules the tasks of a worker that died) finds it and fails the trial instead of running it
# again under the same number.
STARTED_ATTR = "dask_worker"


@dataclass(frozen=True)
class TrialJob:
    """Everything a worker needs to evaluate one asked trial (pickled into the task)."""

    storage_url: str
    study_name: str
    trial_id: int
    number: int
    fixed_params: dict[str, Any]
    proposal_space: SearchSpace
    proposal: dict[str, Any]
    sampler_seconds: float
    diagnostics: dict[str, Any]
    pruner: Any
    heartbeat_interval: float | None
    grace_period: float | None
    max_retry: int
    catch: tuple[type[BaseException], ...]
    sample_queue: str
    sample_timeout: float


_STUDIES: dict[tuple[str, str, str], Any] = {}
_STUDIES_LOCK = threading.Lock()


def _worker_study(job: TrialJob) -> Any:
    """One Study per (storage, study, optimize run) per worker process, with the driver's sampler."""
    from pfnopt.study import Study

    key = (job.storage_url, job.study_name, job.sample_queue)
    with _STUDIES_LOCK:
        study = _STUDIES.get(key)
        if study is None:
            study = _STUDIES[key] = Study(
                job.study_name, job.storage_url, sampler=DriverSampler(job.sample_queue, job.sample_timeout),
                pruner=job.pruner, heartbeat_interval=job.heartbeat_interval,
                grace_period=job.grace_period, max_retry=job.max_retry,
            )
    return study


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except Exception:  # run outside a Dask worker (a direct call)
        import os
        import socket

        return f"{socket.gethostname()}:pid{os.getpid()}"


def run_trial_task(objective: Any, job: TrialJob) -> FrozenTrial:
    """The Dask task: evaluate ``objective`` on the job's trial and tell the storage.

    Returns the finished trial. Re-raises an objective error that is not in ``job.catch`` (after
    storing the trial as FAIL, as ``optimize`` does in-process). A parameter the driver did not
    sample in time (:class:`DriverUnreachableError`: the driver is gone, or too slow) is no error of
    the objective: the trial fails with that reason and is retried per ``max_retry``, like a lost
    worker's, and the run goes on.
    """
    from pfnopt._optimize import evaluate_trial
    from pfnopt.trial import Trial

    study = _worker_study(job)
    storage = study._storage
    frozen = storage.get_trial(job.trial_id)
    if frozen.state.is_finished():  # an earlier run of this task told it before its worker went
        return frozen
    if STARTED_ATTR in frozen.system_attrs:
        lost_on = frozen.system_attrs[STARTED_ATTR]
        return fail_lost_trial(study, job.trial_id, f"the Dask worker {lost_on} running it was lost")
    storage.set_trial_attr(job.trial_id, STARTED_ATTR, _worker_address(), system=True)
    trial = Trial(study, frozen, job.fixed_params)
    trial._set_proposal(job.proposal_space, dict(job.proposal))
    trial.sampler_seconds = job.sampler_seconds
    trial.diagnostics.update(job.diagnostics)
    unreachable: list[DriverUnreachableError] = []

    def run(t: Trial) -> Any:
        try:
            return objective(t)
        except DriverUnreachableError as e:
            unreachable.append(e)
            raise

    try:
        frozen = evaluate_trial(study, trial, run, (*job.catch, DriverUnreachableError))
        reason = str(frozen.system_attrs.get("fail_reason", ""))
        if unreachable and frozen.state == TrialState.FAIL and "DriverUnreachableError" in reason:
            enqueue_retry(study, frozen)  # failed here for that reason, not meanwhile by another process
        return frozen
    except TrialFinishedError:
        # finished meanwhile by another process: failed as stale when its heartbeat came late
        # (its retry is queued by whoever failed it); the stored state stands, told once
        return storage.get_trial(job.trial_id)
