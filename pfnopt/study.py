"""Studies: create, load, ask, tell, optimize. The Optuna-shaped public API over a storage.

NaN / inf policy (documented, tested): an objective or constraint value that is NaN or infinite
is not refused: the trial is stored as FAIL with the reason in its system attribute
``fail_reason``, a warning is logged, and the study goes on. A wrong number of values, or a
value that is not a number at all, is refused with :class:`InvalidValueError` and the trial stays
RUNNING, so nothing is lost and the caller can tell again.
"""

from __future__ import annotations

import datetime as _dt
import logging
import math
import threading
import time
from typing import Any, Callable, Iterable, Mapping, Sequence

from pfnopt._heartbeat import Heartbeat, check_heartbeat_settings
from pfnopt._in_flight import InFlightProposals, PendingView
from pfnopt.exceptions import (
    DuplicateStudyError,
    InvalidValueError,
    NoFeasibleTrialError,
    ParameterError,
    TrialFinishedError,
    TrialNotFoundError,
    UsageError,
)
from pfnopt.pruners import BasePruner, get_pruner
from pfnopt.records import FrozenTrial, StudyDirection, StudyInfo, TrialState
from pfnopt.samplers import BaseSampler, get_sampler
from pfnopt.space import Distribution, SearchSpace, as_space
from pfnopt.space.names import check_name
from pfnopt.storage import BaseStorage, get_storage
from pfnopt.storage._util import json_safe
from pfnopt.trial import Trial, check_constraints, check_values, ensure_running

logger = logging.getLogger("pfnopt")

ObjectiveFn = Callable[[Trial], Any]


class Study:
    """A named optimisation problem and its trials. Make one with :func:`create_study` or
    :func:`load_study`.

    Args:
        heartbeat_interval: seconds between heartbeats of the trials this study asks for (by
            ``optimize`` or by hand: ``ask`` starts a background heartbeat, ``tell`` stops it);
            with it set, a RUNNING trial whose heartbeat is older than ``grace_period`` (default
            twice the interval; must be longer than it) is failed by the next ``ask``, and
            re-enqueued with the same parameters, in the same transaction, up to ``max_retry``
            times in its lineage. Without it, trials carry no heartbeat and are never failed as
            stale. See :mod:`pfnopt._heartbeat`.
    """

    def __init__(
        self,
        study_name: str,
        storage: str | BaseStorage | None,
        sampler: BaseSampler | str | None = None,
        pruner: BasePruner | str | None = None,
        heartbeat_interval: float | None = None,
        grace_period: float | None = None,
        max_retry: int = 0,
    ):
        self._storage = get_storage(storage)
        self._study_id = self._storage.get_study_id(study_name)
        info = self._storage.get_study(self._study_id)
        self.study_name = info.name
        self.directions: tuple[StudyDirection, ...] = info.directions
        from pfnopt.samplers.compat import as_pfnopt_sampler

        self.sampler = get_sampler(as_pfnopt_sampler(sampler))
        self.pruner = get_pruner(pruner)
        self.heartbeat_interval, self.grace_period, self.max_retry = check_heartbeat_settings(
            heartbeat_interval, grace_period, max_retry
        )
        self._beats: dict[int, Heartbeat] = {}  # trial id -> the heartbeat this process keeps for it
        self._beats_lock = threading.Lock()
        # the proposals of this process's trials in flight, and the study as the sampler reads it (with
        # them as pending points): see pfnopt._in_flight
        self._in_flight = InFlightProposals()
        self._sampler_view = PendingView(self, self._in_flight)

    # basic facts ------------------------------------------------------------------------------
    @property
    def storage(self) -> BaseStorage:
        return self._storage

    @property
    def direction(self) -> StudyDirection:
        if len(self.directions) != 1:
            raise UsageError(f"study {self.study_name!r} has {len(self.directions)} objectives; use .directions")
        return self.directions[0]

    @property
    def user_attrs(self) -> dict[str, Any]:
        return dict(self._storage.get_study(self._study_id).user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        return dict(self._storage.get_study(self._study_id).system_attrs)

    def set_user_attr(self, key: str, value: Any) -> None:
        self._storage.set_study_attr(self._study_id, key, value)

    def set_system_attr(self, key: str, value: Any) -> None:
        self._storage.set_study_attr(self._study_id, key, value, system=True)

    def get_trials(
        self, deepcopy: bool | Iterable[TrialState] = True, states: Iterable[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Trials ordered by number (snapshots), optionally only those in ``states``.

        Optuna's signature ``get_trials(deepcopy=True, states=None)``; ``deepcopy`` changes nothing
        here (a FrozenTrial is immutable and every read returns new snapshots), and an iterable of
        states as the first positional argument is read as ``states`` (pfnopt's older signature).
        """
        if not isinstance(deepcopy, bool) and states is None:
            states = deepcopy
        return self._storage.get_all_trials(self._study_id, tuple(states) if states is not None else None)

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()

    # best -------------------------------------------------------------------------------------
    @property
    def best_trial(self) -> FrozenTrial:
        """The best FEASIBLE complete trial (single objective). Raises NoFeasibleTrialError."""
        direction = self.direction
        complete = self.get_trials(states=(TrialState.COMPLETE,))
        if not complete:
            n = len(self.get_trials())
            raise NoFeasibleTrialError(
                f"study {self.study_name!r} has no complete trial yet ({n} trial(s) in other states)"
            )
        feasible = [t for t in complete if t.feasible]
        if not feasible:
            least = min(complete, key=lambda t: t.violation)
            raise NoFeasibleTrialError(
                f"none of the {len(complete)} complete trials of study {self.study_name!r} is feasible "
                f"(every constraint <= 0); the least violating is trial {least.number} "
                f"with total violation {least.violation:.4g}"
            )
        sign = 1.0 if direction == StudyDirection.MINIMIZE else -1.0
        return min(feasible, key=lambda t: (sign * t.values[0], t.number))

    @property
    def best_value(self) -> float:
        return self.best_trial.values[0]

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The Pareto front of feasible complete trials (any number of objectives)."""
        signs = [1.0 if d == StudyDirection.MINIMIZE else -1.0 for d in self.directions]
        pts = [t for t in self.get_trials(states=(TrialState.COMPLETE,)) if t.feasible]

        def dominates(a: FrozenTrial, b: FrozenTrial) -> bool:
            av = [s * v for s, v in zip(signs, a.values)]
            bv = [s * v for s, v in zip(signs, b.values)]
            return all(x <= y for x, y in zip(av, bv)) and any(x < y for x, y in zip(av, bv))

        return [t for t in pts if not any(dominates(o, t) for o in pts if o is not t)]

    # ask / tell -------------------------------------------------------------------------------
    def ask(
        self, space: Mapping[str, Distribution] | SearchSpace | None = None, n: int | None = None,
        fixed_distributions: Mapping[str, Any] | None = None,
    ) -> Trial | list[Trial]:
        """Start a trial (or ``n`` trials, as a list). With ``space``, its params are sampled now.

        ``fixed_distributions`` is Optuna's name for ``space`` (its distributions may be pfnopt's,
        ``pfnopt.distributions``' Optuna-named ones, or Optuna's own objects).
        An enqueued (WAITING) trial is claimed first, if there is one. With heartbeats on, stale
        RUNNING trials are failed (and retried) before anything else.
        """
        if fixed_distributions is not None:
            if space is not None:
                raise ParameterError("give ask(space) or ask(fixed_distributions=...), not both")
            from pfnopt.distributions import to_pfnopt_space

            space = to_pfnopt_space(fixed_distributions)
        elif space is not None and not isinstance(space, SearchSpace) and isinstance(space, Mapping):
            from pfnopt.distributions import to_pfnopt_space

            space = to_pfnopt_space(space)  # Optuna's distribution objects too
        if n is not None:
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ParameterError(f"ask(n=...) needs a positive integer, got {n!r}")
            # one at a time: each new trial sees the previous ones RUNNING, so they spread out
            return [self.ask(space) for _ in range(n)]
        if len(self.directions) > 1 and not getattr(self.sampler, "multi_objective", True):
            # refused before a trial is created or an objective runs (nothing stored changes)
            from pfnopt.samplers.rules import require_single_objective

            require_single_objective(self, repr(self.sampler))
        if space is not None:
            space = as_space(space)  # a bad space is refused before any trial exists
        beating = self.heartbeat_interval is not None
        if beating:
            self.fail_stale_trials()
        frozen = self._storage.claim_waiting_trial(self._study_id, heartbeat=beating)
        fixed: dict[str, Any] = {}
        if frozen is not None:
            fixed = dict(frozen.system_attrs.get("fixed_params", {}))
        else:
            frozen = self._storage.create_trial(self._study_id, heartbeat=beating)
        if beating:
            self._start_heartbeat(frozen.trial_id)
        trial = Trial(self, frozen, fixed)
        if space is not None:
            try:
                self._fill(trial, frozen, space, fixed)
            except Exception as e:
                # the trial exists already: fail it with the reason rather than leave it RUNNING
                self._stop_heartbeat(frozen.trial_id)
                self._storage.finish_trial(frozen.trial_id, TrialState.FAIL, None, None,
                                           {"fail_reason": f"{type(e).__name__}: {e}"})
                raise
        return trial

    # heartbeats of the trials this process runs -----------------------------------------------
    def _start_heartbeat(self, trial_id: int) -> None:
        storage = self._storage
        beat = Heartbeat(lambda: storage.record_heartbeat(trial_id), self.heartbeat_interval,
                         name=f"pfnopt-heartbeat-{trial_id}")
        with self._beats_lock:
            old = self._beats.pop(trial_id, None)
            self._beats[trial_id] = beat
        if old is not None:
            old.stop()

    def _stop_heartbeat(self, trial_id: int) -> None:
        with self._beats_lock:
            beat = self._beats.pop(trial_id, None)
        if beat is not None:
            beat.stop()

    def _fill(self, trial: Trial, frozen: FrozenTrial, space: SearchSpace, fixed: dict[str, Any]) -> None:
        """Sample the free parameters of a fixed space jointly and store all of them at once."""
        free = space.subset([n for n in space if n not in fixed])
        if len(free):
            t0 = time.perf_counter()
            proposal = self._in_flight.sample(self.sampler, self._sampler_view,
                                              self._storage.get_trial(frozen.trial_id), free)
            trial.sampler_seconds += time.perf_counter() - t0
            trial.diagnostics.update(self.sampler.pop_diagnostics())
            trial._set_proposal(free, proposal)
        trial._assign_all(space)
        self._in_flight.discard(frozen.trial_id)  # every parameter is stored now

    def tell(
        self,
        trial: Trial | int,
        values: float | Sequence[float] | None = None,
        state: TrialState | str | None = None,
        constraints: Sequence[float] | None = None,
        skip_if_finished: bool = False,
    ) -> FrozenTrial:
        """Finish a trial: ``tell(trial, 1.25)``, ``tell(7, [1.0, 2.0])``, ``tell(t, state="fail")``.

        ``constraints`` default to those set with ``trial.set_constraints``. See the module
        docstring for the NaN/inf policy.
        """
        trial_id, handle = self._resolve(trial)
        frozen = self._storage.get_trial(trial_id)
        if frozen.state.is_finished():
            self._stop_heartbeat(trial_id)
            if skip_if_finished:
                return frozen
        ensure_running(frozen)
        state = _tell_state(state) if state is not None else (
            TrialState.COMPLETE if values is not None else None
        )
        if state is None:
            raise InvalidValueError(f"tell(trial {frozen.number}) needs values or a state (fail, pruned)")
        if state not in (TrialState.COMPLETE, TrialState.FAIL, TrialState.PRUNED):
            raise ParameterError(f"tell takes state complete, fail or pruned, got {state.name.lower()!r}")
        if constraints is None and handle is not None:
            constraints = handle.constraints
        attrs: dict[str, Any] = {}
        if handle is not None and handle._constraint_names is not None:
            attrs["constraint_names"] = list(handle._constraint_names)
        constraints_func = getattr(self.sampler, "constraints_func", None)
        func_error: Exception | None = None
        if constraints is None and constraints_func is not None and state in (TrialState.COMPLETE,
                                                                                TrialState.PRUNED):
            # Optuna's constraints_func=: called, for complete and pruned trials, with the trial as stored
            # (params, user attrs); what it returns are the trial's constraints
            try:
                constraints = list(constraints_func(frozen))
                finite, _ = check_constraints(constraints)
                if finite is not None:  # (a NaN fails the trial below, with its reason)
                    attrs["constraints"] = finite  # where Optuna's examples read them
            except Exception as exc:  # stored as failed, never as an unconstrained (feasible) trial; re-raised
                constraints, func_error = None, exc
        if handle is not None:
            attrs["sampler_seconds"] = handle.sampler_seconds
            attrs.update({f"sampler:{k}": json_safe(v) for k, v in handle.diagnostics.items()})
        cons, reason = check_constraints(constraints)
        vals = None
        if state == TrialState.COMPLETE:
            if values is None:
                raise InvalidValueError(f"tell(trial {frozen.number}, state='complete') needs values")
            vals, vreason = check_values(values, len(self.directions))
            reason = vreason or reason
        elif state == TrialState.PRUNED and values is None and frozen.intermediate_values:
            # a pruned trial keeps its last reported value, so it can still be compared
            last = frozen.intermediate_values[frozen.last_step]
            vals = [last] if len(self.directions) == 1 and math.isfinite(last) else None
        if func_error is not None:
            reason = f"constraints_func raised {type(func_error).__name__}: {func_error}"
        if reason is not None:
            logger.warning("trial %d of study %r failed: %s", frozen.number, self.study_name, reason)
            state, vals, attrs["fail_reason"] = TrialState.FAIL, None, reason
            cons = cons if cons is not None else None
        try:
            done = self._storage.finish_trial(trial_id, state, vals, cons, attrs)
        except TrialFinishedError:
            self._stop_heartbeat(trial_id)
            self._in_flight.discard(trial_id)
            raise
        self._stop_heartbeat(trial_id)
        self._in_flight.discard(trial_id)
        if func_error is not None:
            raise func_error
        return done

    def _resolve(self, trial: Trial | int | FrozenTrial) -> tuple[int, Trial | None]:
        if isinstance(trial, Trial):
            if trial.study._study_id != self._study_id or trial.study._storage is not self._storage:
                raise ParameterError(f"trial {trial.number} belongs to another study")
            return trial._trial_id, trial
        if isinstance(trial, FrozenTrial):
            return trial.trial_id, None
        if isinstance(trial, bool) or not isinstance(trial, int):
            raise ParameterError(f"tell takes a Trial or a trial number, got {trial!r}")
        try:
            return self._storage.get_trial_id(self._study_id, trial), None
        except TrialNotFoundError:
            raise TrialNotFoundError(f"study {self.study_name!r} has no trial number {trial}") from None

    def enqueue_trial(
        self, params: Mapping[str, Any], user_attrs: Mapping[str, Any] | None = None, skip_if_exists: bool = False
    ) -> FrozenTrial:
        """Queue a trial with fixed ``params``: the next ``ask`` claims it (WAITING -> RUNNING).

        ``skip_if_exists=True`` queues nothing when a trial (WAITING, RUNNING or finished) already
        has exactly these params, and returns that trial.
        """
        if skip_if_exists:
            for t in self.get_trials():
                if _same_params(t, params):
                    return t
        return self._storage.create_trial(
            self._study_id, state=TrialState.WAITING, user_attrs=dict(user_attrs or {}),
            system_attrs={"fixed_params": dict(params)},
        )

    def fail_stale_trials(self) -> list[FrozenTrial]:
        """Fail RUNNING trials whose heartbeat is older than the grace period; retry as configured."""
        if self.grace_period is None:
            raise ParameterError("fail_stale_trials needs heartbeat_interval (or grace_period) set on the study")
        failed = self._storage.fail_stale_trials(
            self._study_id, _dt.timedelta(seconds=self.grace_period), self.max_retry
        )
        for t in failed:
            retried = len(t.system_attrs.get("retry_lineage", [])) < self.max_retry
            logger.warning("trial %d of study %r had no heartbeat for %g s: marked FAIL%s",
                           t.number, self.study_name, self.grace_period,
                           " and re-enqueued with the same parameters" if retried else "")
        return failed

    # loop -------------------------------------------------------------------------------------
    def optimize(
        self,
        objective: ObjectiveFn,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[BaseException]] | type[BaseException] = (),
        callbacks: Sequence[Callable[["Study", FrozenTrial], None]] | None = None,
        show_progress_bar: bool | None = None,
        executor: Any = None,
    ) -> None:
        """Run ``objective`` on new trials until ``n_trials`` or ``timeout`` seconds.

        An exception from the objective marks its trial FAIL with the traceback stored
        (``fail_reason``), and is re-raised unless it is one of ``catch``. ``pfnopt.TrialPruned``
        marks the trial PRUNED. ``show_progress_bar=None`` shows a rich bar when stderr is a terminal.
        ``executor=pfnopt.DaskExecutor(client)`` runs the trials as tasks on a Dask cluster (the
        sampler still asks here; see :mod:`pfnopt.distributed`). With ``n_jobs > 1`` the objectives run in
        parallel threads and their samplings take turns, each seeing the points chosen before it as pending
        (:mod:`pfnopt._in_flight`).
        """
        from pfnopt._optimize import run_optimize

        self._optimizing, self._stop_requested = True, False
        try:
            run_optimize(self, objective, n_trials, timeout, n_jobs, catch, callbacks, show_progress_bar, executor)
        finally:
            self._optimizing, self._stop_requested = False, False

    def trials_dataframe(self, attrs: Sequence[str] | None = None, multi_index: bool = False):  # -> pandas.DataFrame
        """One row per trial: number, state, value(s), datetimes, duration, params_*, constraint_*,
        feasible, user_attrs_*.

        With Optuna's ``attrs`` (a tuple of ``number``, ``value``, ``datetime_start``,
        ``datetime_complete``, ``duration``, ``params``, ``user_attrs``, ``system_attrs``,
        ``intermediate_values``, ``state``, ``constraints``) or ``multi_index=True``, the
        columns are Optuna's (``duration`` a timedelta, ``values_<metric name>`` when named).
        """
        from pfnopt._dataframe import optuna_trials_dataframe, trials_dataframe

        if attrs is None and not multi_index:
            return trials_dataframe(self)
        return optuna_trials_dataframe(self, attrs, multi_index)

    # Optuna's study API ---------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the running ``optimize`` after the trials already started (Optuna's ``study.stop``)."""
        if not getattr(self, "_optimizing", False):
            raise RuntimeError("study.stop() is meant to be called inside optimize (from an objective or a callback)")
        self._stop_requested = True

    def add_trial(self, trial: FrozenTrial) -> FrozenTrial:
        """Store a trial made with ``pfnopt.trial.create_trial`` (or another study's), keeping its
        params, values, constraints, intermediate values, attrs, state and, where the storage
        can, its datetimes. Returns the stored trial (with its number in this study)."""
        from pfnopt._add_trials import add_trial

        return add_trial(self, trial)

    def add_trials(self, trials: Iterable[FrozenTrial]) -> list[FrozenTrial]:
        """:meth:`add_trial` for each trial, in order."""
        return [self.add_trial(t) for t in trials]

    @property
    def metric_names(self) -> list[str] | None:
        """Names of the objectives set with :meth:`set_metric_names` (None if never set)."""
        names = self.system_attrs.get("metric_names")
        return list(names) if names is not None else None

    def set_metric_names(self, metric_names: Sequence[str]) -> None:
        """Name the objectives (one name per direction); used by ``trials_dataframe`` and plots."""
        names = list(metric_names)
        if len(names) != len(self.directions) or not all(isinstance(n, str) and n for n in names):
            raise ParameterError(
                f"set_metric_names needs {len(self.directions)} non-empty string(s) (one per objective), got {metric_names!r}"
            )
        self.set_system_attr("metric_names", names)

    def __repr__(self) -> str:
        return f"Study(name={self.study_name!r}, storage={self._storage.describe()!r})"


def create_study(
    study_name: str | None = None,
    storage: str | BaseStorage | None = None,
    sampler: BaseSampler | str | None = None,
    pruner: BasePruner | str | None = None,
    direction: str | StudyDirection | None = None,
    directions: Sequence[str | StudyDirection] | None = None,
    load_if_exists: bool = False,
    **study_kwargs: Any,
) -> Study:
    """Create a study (``storage=None``: in memory; a URL such as ``sqlite:///store/pfnopt.db``).

    ``study_name=None`` generates a unique name. ``load_if_exists=True`` returns the existing
    study of that name instead of raising DuplicateStudyError.
    """
    if direction is not None and directions is not None:
        raise ParameterError("give direction or directions, not both")
    dirs = [StudyDirection.parse(d) for d in (directions if directions is not None else [direction or "minimize"])]
    if not dirs:
        raise ParameterError("directions must name at least one direction")
    store = get_storage(storage)
    if study_name is None:
        import uuid

        study_name = f"study-{uuid.uuid4().hex[:12]}"
    if not isinstance(study_name, str) or not study_name.strip():
        raise ParameterError(f"study_name must be a non-empty string, got {study_name!r}")
    check_name("study name", study_name)
    # refuse bad heartbeat settings BEFORE the study exists
    check_heartbeat_settings(study_kwargs.get("heartbeat_interval"), study_kwargs.get("grace_period"),
                             study_kwargs.get("max_retry", 0))
    try:
        store.create_study(study_name, dirs)
    except DuplicateStudyError:
        if not load_if_exists:
            raise
        existing = store.get_study(store.get_study_id(study_name)).directions
        if list(existing) != dirs:
            raise ParameterError(
                f"study {study_name!r} exists with directions {[d.name.lower() for d in existing]}, "
                f"not {[d.name.lower() for d in dirs]}"
            ) from None
    return Study(study_name, store, sampler, pruner, **study_kwargs)


def load_study(
    study_name: str,
    storage: str | BaseStorage | None,
    sampler: BaseSampler | str | None = None,
    pruner: BasePruner | str | None = None,
    **study_kwargs: Any,
) -> Study:
    """Open an existing study. Raises StudyNotFoundError (naming the studies that do exist)."""
    return Study(study_name, storage, sampler, pruner, **study_kwargs)


def delete_study(study_name: str, storage: str | BaseStorage) -> None:
    store = get_storage(storage)
    store.delete_study(store.get_study_id(study_name))


def get_all_study_summaries(storage: str | BaseStorage, include_best_trial: bool = True):
    """The studies of a storage (:class:`~pfnopt.records.StudyInfo`, with Optuna's
    ``study_name``, ``direction(s)``, ``n_trials``, ``datetime_start``, ``user_attrs``).
    ``include_best_trial`` is accepted for Optuna's signature; summaries carry no best trial."""
    return get_storage(storage).list_studies()


def get_all_study_names(storage: str | BaseStorage) -> list[str]:
    """The names of the studies of a storage, oldest first."""
    return [s.name for s in get_storage(storage).list_studies()]


def copy_study(
    *, from_study_name: str, from_storage: str | BaseStorage, to_storage: str | BaseStorage,
    to_study_name: str | None = None,
) -> Study:
    """Copy a study (directions, attributes, every trial with its datetimes where the storage
    can) into another storage; raises DuplicateStudyError if the target name exists there."""
    source = load_study(from_study_name, from_storage, sampler="random")
    target = create_study(to_study_name or from_study_name, to_storage, sampler="random", directions=list(source.directions))
    for k, v in source.user_attrs.items():
        target.set_user_attr(k, v)
    for k, v in source.system_attrs.items():
        target.set_system_attr(k, v)
    target.add_trials(source.get_trials())
    return target


class MaxTrialsCallback:
    """Stop ``optimize`` once the study has ``n_trials`` trials in ``states`` (default COMPLETE),
    counting those of every worker: a callback ``optimize(callbacks=[MaxTrialsCallback(20)])``."""

    def __init__(self, n_trials: int, states: Iterable[TrialState] | None = (TrialState.COMPLETE,)):
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 0:
            raise ParameterError(f"MaxTrialsCallback: n_trials must be a non-negative integer, got {n_trials!r}")
        self._n_trials = n_trials
        self._states = tuple(states) if states is not None else None

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        if len(study.get_trials(states=self._states)) >= self._n_trials:
            study.stop()


def _same_params(t: FrozenTrial, params: Mapping[str, Any]) -> bool:
    have = {**t.system_attrs.get("fixed_params", {}), **t.params}
    return set(have) == set(params) and all(have[k] == params[k] for k in params)


StudySummary = StudyInfo


_TELL_STATES = {"complete": TrialState.COMPLETE, "fail": TrialState.FAIL, "pruned": TrialState.PRUNED}


def _tell_state(state: TrialState | str) -> TrialState:
    """The state ``tell`` was given, refused (naming only what ``tell`` takes) unless it finishes a trial."""
    if isinstance(state, TrialState):
        parsed = state
    elif isinstance(state, str) and state.strip().lower() in _TELL_STATES:
        parsed = _TELL_STATES[state.strip().lower()]
    else:
        raise ParameterError(f"tell takes state complete, fail or pruned, got {state!r}")
    if parsed not in _TELL_STATES.values():
        raise ParameterError(f"tell takes state complete, fail or pruned, got {parsed.name.lower()!r}")
    return parsed
