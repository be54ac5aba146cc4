"""The ``study.optimize`` loop: threads, heartbeats, catching, callbacks and the progress bar."""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from pfnopt.exceptions import InvalidValueError, ParameterError, TrialFinishedError, TrialPruned
from pfnopt.records import FrozenTrial, TrialState
from pfnopt.storage._util import json_safe

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import ObjectiveFn, Study
    from pfnopt.trial import Trial

logger = logging.getLogger("pfnopt")


def run_one_trial(
    study: "Study", objective: "ObjectiveFn", catch: tuple[type[BaseException], ...]
) -> FrozenTrial:
    """Ask, run the objective, tell. Re-raises an uncaught objective exception after storing FAIL.

    The trial's heartbeat (started by ``ask`` when the study has ``heartbeat_interval``) is stopped
    on every way out. A trial failed as stale by another worker while it ran (its heartbeats did
    not get through, e.g. a database outage longer than the grace period) is not told twice: the
    loop logs it and goes on; its retry runs the same parameters again (at-least-once execution).
    A KeyboardInterrupt or SystemExit from the objective stores FAIL before it propagates.
    """
    return evaluate_trial(study, study.ask(), objective, catch)


def evaluate_trial(
    study: "Study", trial: "Trial", objective: "ObjectiveFn", catch: tuple[type[BaseException], ...]
) -> FrozenTrial:
    """Run the objective on an asked ``trial`` and tell (``pfnopt.distributed`` reuses it on its workers).

    A trial asked in another process (a Dask task's) gets a heartbeat of this process while it runs."""
    if study.heartbeat_interval is not None:
        with study._beats_lock:
            beating = trial._trial_id in study._beats
        if not beating:
            study._start_heartbeat(trial._trial_id)
    try:
        try:
            result = objective(trial)
        except TrialPruned:
            return study.tell(trial, state=TrialState.PRUNED, skip_if_finished=True)
        except Exception as e:
            reason = "".join(traceback.format_exception(type(e), e, e.__traceback__))
            frozen = _tell_with_reason(study, trial, TrialState.FAIL, reason)
            if isinstance(e, catch):
                return frozen
            raise
        except BaseException as e:  # KeyboardInterrupt, SystemExit: leave no RUNNING trial behind
            _tell_with_reason(study, trial, TrialState.FAIL, f"interrupted: {type(e).__name__}: {e}")
            raise
        try:
            return study.tell(trial, result)
        except TrialFinishedError:
            frozen = study._storage.get_trial(trial._trial_id)
            logger.warning("trial %d of study %r was finished (%s) by another worker while it ran; its result "
                           "is dropped", trial.number, study.study_name, frozen.state.name)
            return frozen
        except (InvalidValueError, ParameterError) as e:
            # a malformed return value: the trial fails with the reason, like any objective error
            frozen = _tell_with_reason(study, trial, TrialState.FAIL, str(e))
            if isinstance(e, catch):
                return frozen
            raise
    finally:
        study._stop_heartbeat(trial._trial_id)
        study._in_flight.discard(trial._trial_id)  # told, or failed: no longer pending


def _tell_with_reason(study: "Study", trial: "Trial", state: TrialState, reason: str) -> FrozenTrial:
    frozen = study._storage.get_trial(trial._trial_id)
    if frozen.state.is_finished():  # the objective told it itself
        return frozen
    attrs: dict[str, Any] = {"fail_reason": reason, "sampler_seconds": trial.sampler_seconds}
    attrs.update({f"sampler:{k}": json_safe(v) for k, v in trial.diagnostics.items()})
    if trial._constraint_names is not None:
        attrs["constraint_names"] = list(trial._constraint_names)
    try:
        return study._storage.finish_trial(trial._trial_id, state, None, trial.constraints, attrs)
    except TrialFinishedError:  # failed as stale by another worker meanwhile
        return study._storage.get_trial(trial._trial_id)


def run_optimize(
    study: "Study",
    objective: "ObjectiveFn",
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[BaseException]] | type[BaseException],
    callbacks: Sequence[Callable[["Study", FrozenTrial], None]] | None,
    show_progress_bar: bool | None,
    executor: Any = None,
) -> None:
    if n_trials is not None and (isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0):
        raise ParameterError(f"n_trials must be a non-negative integer or None, got {n_trials!r}")
    if timeout is not None and not timeout > 0:
        raise ParameterError(f"timeout must be > 0 seconds or None, got {timeout!r}")
    if n_jobs == -1:
        import os

        n_jobs = os.cpu_count() or 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise ParameterError(f"n_jobs must be a positive integer or -1, got {n_jobs!r}")
    if n_trials is None and timeout is None:
        raise ParameterError("optimize needs n_trials or timeout (or both)")
    catch_t = tuple(catch) if not isinstance(catch, type) else (catch,)
    callbacks = list(callbacks or [])
    if show_progress_bar is None:
        show_progress_bar = sys.stderr.isatty()

    deadline = None if timeout is None else time.monotonic() + timeout
    lock = threading.Lock()
    started = 0

    def claim() -> bool:
        nonlocal started
        with lock:
            if n_trials is not None and started >= n_trials:
                return False
            if getattr(study, "_stop_requested", False):  # study.stop()
                return False
            if deadline is not None and time.monotonic() >= deadline:
                return False
            started += 1
            return True

    progress = _Progress(study, n_trials, timeout) if show_progress_bar else None

    def finished(frozen: FrozenTrial) -> None:
        for cb in callbacks:
            cb(study, frozen)
        if progress is not None:
            progress.advance(frozen)

    try:
        if executor is not None:  # e.g. pfnopt.DaskExecutor: trials run elsewhere, asked and counted here
            if n_jobs != 1:
                raise ParameterError(f"give n_jobs or executor, not both (n_jobs={n_jobs!r})")
            executor.run(study, objective, claim, finished, catch_t)
            return
        if n_jobs == 1:
            while claim():
                finished(run_one_trial(study, objective, catch_t))
            return
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            running: set[Future] = set()
            while True:
                while len(running) < n_jobs and claim():
                    running.add(pool.submit(run_one_trial, study, objective, catch_t))
                if not running:
                    break
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    finished(fut.result())  # re-raises an uncaught objective error
    finally:
        if progress is not None:
            progress.close()


class _Progress:
    """A rich progress bar with the best value so far (only when asked for or on a terminal)."""

    def __init__(self, study: "Study", n_trials: int | None, timeout: float | None):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("{task.fields[best]}"), transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(study.study_name, total=n_trials, best="")
        self._study = study

    def advance(self, frozen: FrozenTrial) -> None:
        best = ""
        try:
            bt = self._study.best_trial
            best = f"best {bt.values[0]:.6g} (trial {bt.number})"
        except Exception:
            best = "no feasible trial yet"
        self._progress.update(self._task, advance=1, best=best)

    def close(self) -> None:
        self._progress.stop()
