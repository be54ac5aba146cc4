"""In-memory storage for tests and notebooks: one lock, copy-on-write snapshots.

Each trial is kept as a :class:`FrozenTrial`; a write builds a new one (with new dicts) and swaps
it in, so a snapshot handed out earlier never changes and reads need no copying. Attribute values
are deep-copied through JSON on the way in, exactly as the SQL storage stores them, so code tested
on memory behaves the same on SQLite and PostgreSQL (tuples come back as lists, non-JSON values
are refused).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pfnopt.exceptions import DuplicateStudyError, StudyNotFoundError, TrialFinishedError, TrialNotFoundError
from pfnopt.records import FrozenTrial, StudyDirection, StudyInfo, TrialState, utcnow
from pfnopt.space import Distribution
from pfnopt.space.names import check_name
from pfnopt.storage._util import check_consistent, copy_attrs, new_trial_fields, retry_spec, to_internal
from pfnopt.storage.base import BaseStorage


@dataclass
class _Study:
    study_id: int
    name: str
    directions: tuple[StudyDirection, ...]
    created: _dt.datetime
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    trials: list[FrozenTrial] = field(default_factory=list)  # index == number
    waiting: deque[int] = field(default_factory=deque)  # numbers, oldest first (some may have moved on)
    running: set[int] = field(default_factory=set)  # numbers of RUNNING trials

    def info(self) -> StudyInfo:
        return StudyInfo(
            self.study_id, self.name, self.directions, self.created,
            dict(self.user_attrs), dict(self.system_attrs), len(self.trials),
        )


class InMemoryStorage(BaseStorage):
    """Everything in this process's memory; thread-safe through one lock. Lost at exit."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _Study] = {}
        self._by_name: dict[str, int] = {}
        self._trial_index: dict[int, tuple[int, int]] = {}  # trial_id -> (study_id, number)
        self._next_study_id = 1
        self._next_trial_id = 1

    # studies ------------------------------------------------------------------------------------
    def create_study(self, name: str, directions: Sequence[StudyDirection]) -> int:
        check_name("study name", name)
        dirs = tuple(StudyDirection.parse(d) for d in directions)
        with self._lock:
            if name in self._by_name:
                raise DuplicateStudyError(
                    f"a study named {name!r} already exists in {self.describe()} (use load_if_exists=True to reuse it)"
                )
            study_id = self._next_study_id
            self._next_study_id += 1
            self._studies[study_id] = _Study(study_id, name, dirs, utcnow())
            self._by_name[name] = study_id
            return study_id

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            study = self._study(study_id)
            for t in study.trials:
                self._trial_index.pop(t.trial_id, None)
            del self._studies[study_id]
            del self._by_name[study.name]

    def get_study_id(self, name: str) -> int:
        with self._lock:
            if name not in self._by_name:
                known = sorted(self._by_name)[:5]
                hint = f"; studies here: {', '.join(map(repr, known))}" + (" ..." if len(self._by_name) > 5 else "")
                raise StudyNotFoundError(
                    f"no study named {name!r} in {self.describe()}" + (hint if known else " (it has no studies)")
                )
            return self._by_name[name]

    def get_study(self, study_id: int) -> StudyInfo:
        with self._lock:
            return self._study(study_id).info()

    def list_studies(self) -> list[StudyInfo]:
        with self._lock:
            return [s.info() for s in sorted(self._studies.values(), key=lambda s: s.study_id)]

    def set_study_attr(self, study_id: int, key: str, value: Any, system: bool = False) -> None:
        copied = copy_attrs({key: value})
        with self._lock:
            study = self._study(study_id)
            (study.system_attrs if system else study.user_attrs).update(copied)

    # trials -------------------------------------------------------------------------------------
    def create_trial(
        self,
        study_id: int,
        state: TrialState = TrialState.RUNNING,
        params: dict[str, Any] | None = None,
        distributions: dict[str, Distribution] | None = None,
        user_attrs: dict[str, Any] | None = None,
        system_attrs: dict[str, Any] | None = None,
        heartbeat: bool = True,
    ) -> FrozenTrial:
        state, internal, users, systems = new_trial_fields(state, params, distributions, user_attrs, system_attrs)
        with self._lock:
            return self._create(study_id, state, internal, users, systems, heartbeat)

    def _create(self, study_id: int, state: TrialState, internal: dict[str, tuple[float, Distribution]],
                users: dict[str, Any], systems: dict[str, Any], heartbeat: bool) -> FrozenTrial:
        """Append a new trial to the study (call with the lock held)."""
        study = self._study(study_id)
        now = utcnow() if state == TrialState.RUNNING else None
        trial = FrozenTrial(
            trial_id=self._next_trial_id,
            number=len(study.trials),
            state=state,
            params={n: d.to_external(v) for n, (v, d) in internal.items()},
            distributions={n: d for n, (_, d) in internal.items()},
            user_attrs=users,
            system_attrs=systems,
            datetime_start=now,
            heartbeat=now if heartbeat else None,
        )
        self._next_trial_id += 1
        study.trials.append(trial)
        (study.running.add if state == TrialState.RUNNING else study.waiting.append)(trial.number)
        self._trial_index[trial.trial_id] = (study_id, trial.number)
        return trial

    def claim_waiting_trial(self, study_id: int, heartbeat: bool = True) -> FrozenTrial | None:
        with self._lock:
            study = self._study(study_id)
            while study.waiting:
                t = study.trials[study.waiting.popleft()]
                if t.state == TrialState.WAITING:  # not finished directly meanwhile
                    now = utcnow()
                    return self._swap(t, state=TrialState.RUNNING, datetime_start=now, heartbeat=now if heartbeat else None)
            return None

    def set_trial_params(self, trial_id: int, params: dict[str, Any], distributions: dict[str, Distribution]) -> None:
        internal = to_internal(params, distributions)
        with self._lock:
            t = self._unfinished(trial_id)
            new_params, new_dists = dict(t.params), dict(t.distributions)
            for name, (value, dist) in internal.items():
                if name in t.distributions:
                    old_dist = t.distributions[name]
                    check_consistent(name, (old_dist.to_internal(t.params[name]), old_dist), (value, dist), t.number)
                    continue
                new_params[name], new_dists[name] = dist.to_external(value), dist
            self._swap(t, params=new_params, distributions=new_dists)

    def set_trial_intermediate_value(self, trial_id: int, step: int, value: float) -> None:
        with self._lock:
            t = self._unfinished(trial_id)
            merged = {**t.intermediate_values, int(step): float(value)}
            self._swap(t, intermediate_values=dict(sorted(merged.items())))

    def set_trial_attr(self, trial_id: int, key: str, value: Any, system: bool = False) -> None:
        copied = copy_attrs({key: value})
        with self._lock:
            t = self._unfinished(trial_id)
            if system:
                self._swap(t, system_attrs={**t.system_attrs, **copied})
            else:
                self._swap(t, user_attrs={**t.user_attrs, **copied})

    def finish_trial(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None = None,
        constraints: Sequence[float] | None = None,
        system_attrs: dict[str, Any] | None = None,
    ) -> FrozenTrial:
        state = TrialState(state)
        if not state.is_finished():
            from pfnopt.exceptions import ParameterError

            raise ParameterError(f"finish_trial takes COMPLETE, PRUNED or FAIL, not {state.name}")
        vals = None if values is None else tuple(float(v) for v in values)
        cons = None if constraints is None or len(constraints) == 0 else tuple(float(c) for c in constraints)
        attrs = copy_attrs(system_attrs)
        with self._lock:
            t = self._unfinished(trial_id)
            return self._swap(
                t, state=state, values=vals, constraints=cons,
                system_attrs={**t.system_attrs, **attrs}, datetime_complete=utcnow(),
            )

    def record_heartbeat(self, trial_id: int) -> bool:
        with self._lock:
            t = self._trial(trial_id)
            if t.state != TrialState.RUNNING:
                return False
            self._swap(t, heartbeat=utcnow())
            return True

    def fail_stale_trials(self, study_id: int, grace: _dt.timedelta, max_retry: int = 0) -> list[FrozenTrial]:
        with self._lock:
            cutoff = utcnow() - grace
            study = self._study(study_id)
            failed = []
            for number in sorted(study.running):
                t = study.trials[number]
                if t.heartbeat is not None and t.heartbeat < cutoff:
                    failed.append(self._swap(t, state=TrialState.FAIL, datetime_complete=utcnow()))
            for t in failed:  # under the same lock: a retry is never lost between the two steps
                spec = retry_spec(t, max_retry)
                if spec is not None:
                    self._create(study_id, TrialState.WAITING, {}, {}, spec, False)
            return failed

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            return self._trial(trial_id)

    def get_trial_id(self, study_id: int, number: int) -> int:
        with self._lock:
            trials = self._study(study_id).trials
            if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number < len(trials):
                raise TrialNotFoundError(f"study {study_id} has no trial number {number!r} ({len(trials)} trials)")
            return trials[number].trial_id

    def get_all_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> list[FrozenTrial]:
        with self._lock:
            trials = list(self._study(study_id).trials)
        if states is None:
            return trials
        wanted = set(states)
        return [t for t in trials if t.state in wanted]

    def get_n_trials(self, study_id: int, states: Sequence[TrialState] | None = None) -> int:
        if states is None:
            with self._lock:
                return len(self._study(study_id).trials)
        return len(self.get_all_trials(study_id, states))

    def describe(self) -> str:
        return "in-memory storage"

    # internals (call with the lock held) --------------------------------------------------------
    def _study(self, study_id: int) -> _Study:
        try:
            return self._studies[study_id]
        except (KeyError, TypeError):
            raise StudyNotFoundError(f"no study with id {study_id!r} in {self.describe()}") from None

    def _trial(self, trial_id: int) -> FrozenTrial:
        try:
            study_id, number = self._trial_index[trial_id]
        except (KeyError, TypeError):
            raise TrialNotFoundError(f"no trial with id {trial_id!r} in {self.describe()}") from None
        return self._studies[study_id].trials[number]

    def _unfinished(self, trial_id: int) -> FrozenTrial:
        t = self._trial(trial_id)
        if t.state.is_finished():
            raise TrialFinishedError(
                f"trial {t.number} (id {trial_id}) is already {t.state.name}; a finished trial cannot change"
            )
        return t

    def set_trial_datetimes(self, trial_id: int, datetime_start: _dt.datetime | None,
                            datetime_complete: _dt.datetime | None) -> FrozenTrial:
        with self._lock:
            return self._swap(self._trial(trial_id), datetime_start=datetime_start, datetime_complete=datetime_complete)

    def _swap(self, t: FrozenTrial, **changes: Any) -> FrozenTrial:
        study_id, number = self._trial_index[t.trial_id]
        new = dataclasses.replace(t, **changes)
        study = self._studies[study_id]
        study.trials[number] = new
        if new.state == TrialState.RUNNING:
            study.running.add(number)
        else:
            study.running.discard(number)
        return new
