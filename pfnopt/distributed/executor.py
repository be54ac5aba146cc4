"""``study.optimize(objective, n_trials=..., executor=DaskExecutor(client))``: the driver's loop.

The driver keeps one task per free slot of the cluster in flight: it asks a trial (the sampler
sees the RUNNING ones as pending points, with the proposals the driver holds for those whose
worker has not suggested them yet: :mod:`pfnopt._in_flight`), submits it, and when a task ends hands its finished
trial to the callbacks and the progress bar, then asks the next. ``n_trials`` counts the trials
this run asks; the retry of one of them whose worker died is run too, beyond ``n_trials``, so a
run ends with every one of its trials evaluated or failed for good. With ``heartbeat_interval`` on
the study, the driver also beats for every trial it has in flight (a queued task has no worker to
beat for it yet), so a trial goes stale exactly when both its driver and its worker are gone.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import TYPE_CHECKING, Any, Callable, Mapping

from pfnopt.distributed._lost import fail_lost_trial
from pfnopt.distributed._task import TrialJob, run_trial_task
from pfnopt.exceptions import ParameterError, missing_extra
from pfnopt.records import FrozenTrial

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import ObjectiveFn, Study
    from pfnopt.trial import Trial

logger = logging.getLogger("pfnopt")


class DaskExecutor:
    """Run the trials of ``study.optimize`` as tasks of a Dask ``distributed.Client``.

    Args:
        client: a connected ``distributed.Client`` (``Client(LocalCluster(...))``, or
            ``Client("tcp://scheduler:8786")``).
        resources: Dask resources each trial needs, e.g. ``{"GPU": 1}`` (workers started with
            ``dask worker ... --resources GPU=1``); None for none. The number of trials in flight
            is the number of slots these resources (or, without them, the worker threads) allow.
        queued: trials kept waiting in Dask's queue beyond the free slots, so that a worker
            that finishes starts its next trial at once while the driver asks the one after
            (None: one per 8 slots, at least 1; 0: none). They are asked, so they are pending
            points of the sampler like the running ones.
        ask_threads: driver threads that ask (sampler and storage) concurrently, so that a
            slow ask (a database round trip, a model's suggestion) does not leave slots idle;
            their samplings take turns (each sees the proposals chosen before it as pending
            points, like the threads of ``optimize(n_jobs=...)``: :mod:`pfnopt._in_flight`), while
            their storage round trips overlap.
        sample_timeout: seconds a worker waits for the driver to sample a parameter that is not
            in its trial's proposal before failing the trial.

    The study must live in SQL storage (a URL every worker can open: PostgreSQL across machines,
    or an absolute SQLite path on one machine).
    """

    def __init__(
        self,
        client: Any,
        resources: Mapping[str, float] | None = None,
        queued: int | None = None,
        ask_threads: int = 4,
        sample_timeout: float = 300.0,
    ):
        try:
            import distributed
        except ImportError:  # pragma: no cover (the extra is installed in CI)
            raise missing_extra("distributed", "dask") from None
        if not isinstance(client, distributed.Client):
            raise ParameterError(f"DaskExecutor needs a distributed.Client, got {type(client).__name__}")
        if resources is not None:
            if not isinstance(resources, Mapping) or not all(
                isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0
                for k, v in resources.items()
            ):
                raise ParameterError(
                    f"resources must map resource names to positive amounts, e.g. {{'GPU': 1}}; got {resources!r}"
                )
        if isinstance(sample_timeout, bool) or not isinstance(sample_timeout, (int, float)) or not sample_timeout > 0:
            raise ParameterError(f"sample_timeout must be > 0 seconds, got {sample_timeout!r}")
        if queued is not None and (isinstance(queued, bool) or not isinstance(queued, int) or queued < 0):
            raise ParameterError(f"queued must be a non-negative integer or None, got {queued!r}")
        if isinstance(ask_threads, bool) or not isinstance(ask_threads, int) or ask_threads < 1:
            raise ParameterError(f"ask_threads must be a positive integer, got {ask_threads!r}")
        self.client = client
        self.ask_threads = ask_threads
        self._queued = queued
        self._last_slots = 1
        self.resources = dict(resources) if resources else None
        self.sample_timeout = float(sample_timeout)

    # slots --------------------------------------------------------------------------------------
    def slots(self) -> int:
        """How many trials the cluster can run at once now (at least 1, so a task waits for a worker)."""
        workers = self.client.scheduler_info(n_workers=-1).get("workers", {})
        total = 0
        for info in workers.values():
            if self.resources is None:
                total += int(info.get("nthreads", 1))
            else:
                have = info.get("resources", {}) or {}
                total += min(int(have.get(r, 0) // need) for r, need in self.resources.items())
        self._last_slots = max(total, 1)
        return self._last_slots

    @property
    def queued(self) -> int:
        """Trials kept in Dask's queue beyond the free slots (see the class docstring)."""
        if self._queued is not None:
            return self._queued
        return max(1, self._last_slots // 8)

    # the loop -----------------------------------------------------------------------------------
    def run(
        self,
        study: "Study",
        objective: "ObjectiveFn",
        claim: Callable[[], bool],
        finished: Callable[[FrozenTrial], None],
        catch: tuple[type[BaseException], ...],
    ) -> None:
        """Called by ``study.optimize``: ``claim()`` says whether to start one more trial,
        ``finished(trial)`` runs the callbacks of a finished one."""
        from distributed import as_completed

        from pfnopt.distributed._channel import SampleServer

        url = storage_url_of(study)
        if not self.client.scheduler_info(n_workers=-1).get("workers"):
            self.client.wait_for_workers(1)
        proposals = study._in_flight  # the driver's proposals in flight, pending points of its sampler
        view = study._sampler_view
        server = SampleServer(self.client, study, view)
        running: dict[Any, int] = {}  # Dask future -> trial id
        lock = threading.Lock()  # guards running and asked (the askers add to them)
        asked: set[int] = set()  # numbers of the trials this run asked
        beat = _InFlightHeartbeat(study, running, lock) if study.heartbeat_interval else None
        completions = as_completed(with_results=True, raise_errors=False)  # results fetched as they come
        askers = ThreadPoolExecutor(max_workers=self.ask_threads, thread_name_prefix="pfnopt-ask")
        asking: set[Future] = set()
        error: BaseException | None = None
        slots, slots_at = self.slots(), time.monotonic()

        def ask_and_submit() -> None:
            trial = study.ask()
            with lock:
                asked.add(trial.number)
            job = self._job(study, trial, url, server.name, catch)  # its proposal is in ``proposals`` now
            future = self.client.submit(
                run_trial_task, objective, job, pure=False, resources=self.resources,
                key=f"pfnopt-trial-{trial.number}-{uuid.uuid4().hex[:8]}",
            )
            with lock:
                running[future] = trial._trial_id
            completions.add(future)

        def more() -> bool:
            with lock:
                in_flight = len(running) + len(asking)
                done_asking = set(asked)
            if in_flight >= slots + self.queued:
                return False
            # a retry is asked for only with no ask in progress, which may be claiming it right now
            return claim() or (not asking and _owes_retry(study, done_asking))

        try:
            while True:
                for f in [f for f in asking if f.done()]:
                    asking.discard(f)
                    if f.exception() is not None and error is None:
                        error = f.exception()  # e.g. the storage failed: stop asking, let the rest finish
                if time.monotonic() - slots_at > 1.0:
                    slots, slots_at = self.slots(), time.monotonic()
                while error is None and more():
                    asking.add(askers.submit(ask_and_submit))
                with lock:
                    has_running = bool(running)
                if not has_running:
                    if not asking:
                        break
                    wait_futures(asking, return_when=FIRST_COMPLETED)
                    continue
                for future, result in completions.next_batch(block=True):
                    with lock:
                        trial_id = running.pop(future)
                    proposals.discard(trial_id)
                    frozen, exc = self._collect(study, future, result, trial_id)
                    future.release()
                    if exc is not None and error is None:
                        error = exc  # like n_jobs: no new trials; the running ones finish first
                    if frozen is not None:
                        finished(frozen)
        finally:
            askers.shutdown(wait=True)
            if beat is not None:
                beat.stop()
            server.close()
        if error is not None:
            raise error

    def _job(self, study: "Study", trial: "Trial", url: str, queue: str, catch: tuple) -> TrialJob:
        """The trial's proposal, drawn here by the study's sampler (reading the study's pending view, and
        recorded there as this trial's pending point: :mod:`pfnopt._in_flight`), packed for
        the worker. Nothing of it is stored here: the worker's objective stores each parameter it
        suggests, so a proposed parameter it skips (a conditional branch) is never recorded."""
        from pfnopt.records import TrialState

        sampler = study.sampler
        frozen = FrozenTrial(  # what ask just stored (no read back): a RUNNING trial, maybe with fixed params
            trial_id=trial._trial_id, number=trial.number, state=TrialState.RUNNING, params=trial.params,
            distributions=trial.distributions, system_attrs={"fixed_params": dict(trial._fixed)} if trial._fixed else {},
            datetime_start=trial.datetime_start,
        )
        t0 = time.perf_counter()
        space = sampler.infer_space(study._sampler_view, frozen)
        space = space.subset([n for n in space if n not in trial._fixed])
        proposal = study._in_flight.sample(sampler, study._sampler_view, frozen, space) if len(space) else {}
        seconds = time.perf_counter() - t0
        return TrialJob(
            storage_url=url, study_name=study.study_name, trial_id=trial._trial_id, number=trial.number,
            fixed_params=dict(trial._fixed), proposal_space=space, proposal=proposal,
            sampler_seconds=seconds, diagnostics=sampler.pop_diagnostics(), pruner=study.pruner,
            heartbeat_interval=study.heartbeat_interval, grace_period=study.grace_period,
            max_retry=study.max_retry, catch=catch, sample_queue=queue, sample_timeout=self.sample_timeout,
        )

    def _collect(
        self, study: "Study", future: Any, result: Any, trial_id: int
    ) -> tuple[FrozenTrial | None, BaseException | None]:
        """The finished trial of a done task, and the objective's error to re-raise (if any)."""
        from distributed import KilledWorker

        if future.status == "finished":
            return result, None
        exc = future.exception() if future.status == "error" else None
        if exc is None or isinstance(exc, KilledWorker):  # cancelled, or Dask gave up on dying workers
            return fail_lost_trial(study, trial_id, f"the Dask workers running it were lost ({exc!r})"), None
        frozen = study._storage.get_trial(trial_id)
        if not frozen.state.is_finished():  # failed before the objective ran (e.g. storage, unpickling)
            frozen = fail_lost_trial(study, trial_id, f"the Dask task failed: {type(exc).__name__}: {exc}")
        return frozen, exc


def _owes_retry(study: "Study", asked: set[int]) -> bool:
    """Whether a retry of a trial this run asked waits (its worker died): run it beyond n_trials."""
    from pfnopt.records import TrialState

    return any(
        t.system_attrs.get("retried_from") in asked for t in study.get_trials(states=(TrialState.WAITING,))
    )


def storage_url_of(study: "Study") -> str:
    """The URL workers open the study's storage with; refuses storages other processes cannot see."""
    url = getattr(study._storage, "url", None)
    if not isinstance(url, str) or ":memory:" in url or url.rstrip("/") == "sqlite:":
        raise ParameterError(
            f"DaskExecutor needs the study in SQL storage that every worker can open (e.g. "
            f"postgresql+psycopg://user:pass@host/db, or sqlite:////absolute/path.db), not "
            f"{study._storage.describe()}"
        )
    return absolute_sqlite_url(url)


def absolute_sqlite_url(url: str) -> str:
    """``sqlite:///rel/path.db`` -> ``sqlite:////cwd/rel/path.db`` (workers have other cwds)."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + os.path.abspath(url[len(prefix):])
    return url


class _InFlightHeartbeat:
    """Beats for every trial in ``running`` (the driver's in-flight futures) every interval."""

    def __init__(self, study: "Study", running: Mapping[Any, int], lock: threading.Lock):
        self._study, self._running, self._lock = study, running, lock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pfnopt-dask-heartbeat", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._study.heartbeat_interval):
            try:
                with self._lock:
                    trial_ids = tuple(self._running.values())
                for trial_id in trial_ids:
                    self._study._storage.record_heartbeat(trial_id)
            except Exception:  # a missed beat is retried at the next interval
                pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
