"""Frozen records of studies and trials, and their states. Imports nothing above ``space``.

A :class:`FrozenTrial` is what storages return and samplers read: an immutable snapshot. It never
changes once returned; a later read returns a new one.
"""

from __future__ import annotations

import datetime as _dt
import enum
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from pfnopt.exceptions import UsageError
from pfnopt.space import Distribution, SearchSpace


class TrialState(enum.IntEnum):
    """RUNNING (asked, not told), COMPLETE, PRUNED, FAIL, WAITING (enqueued, not yet claimed)."""

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def is_finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)

    @classmethod
    def parse(cls, value: "str | TrialState") -> "TrialState":
        if isinstance(value, TrialState):
            return value
        try:
            return cls[str(value).upper()]
        except KeyError:
            allowed = ", ".join(s.name.lower() for s in cls)
            from pfnopt.exceptions import ParameterError

            raise ParameterError(f"unknown trial state {value!r}; allowed: {allowed}") from None


class StudyDirection(enum.IntEnum):
    MINIMIZE = 1
    MAXIMIZE = 2

    @classmethod
    def parse(cls, value: "str | StudyDirection") -> "StudyDirection":
        if isinstance(value, StudyDirection):
            return value
        try:
            return cls[str(value).upper()]
        except KeyError:
            from pfnopt.exceptions import ParameterError

            raise ParameterError(f"unknown direction {value!r}; allowed: minimize, maximize") from None


def utcnow() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class FrozenTrial:
    """One trial as stored.

    ``params`` hold external values (``"steel"``, ``3``, ``0.25``); ``distributions`` the matching
    distributions; ``values`` one float per objective (None unless COMPLETE); ``constraints`` the
    black-box constraint values (feasible iff every one is <= 0; None if the study has none).
    """

    trial_id: int
    number: int
    state: TrialState
    params: Mapping[str, Any] = field(default_factory=dict)
    distributions: Mapping[str, Distribution] = field(default_factory=dict)
    values: Sequence[float] | None = None
    constraints: Sequence[float] | None = None
    intermediate_values: Mapping[int, float] = field(default_factory=dict)
    user_attrs: Mapping[str, Any] = field(default_factory=dict)
    system_attrs: Mapping[str, Any] = field(default_factory=dict)
    datetime_start: _dt.datetime | None = None
    datetime_complete: _dt.datetime | None = None
    heartbeat: _dt.datetime | None = None

    @property
    def value(self) -> float | None:
        """The single objective value (raises for a multi-objective trial)."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise UsageError(f"trial {self.number} has {len(self.values)} values; use .values")
        return self.values[0]

    @property
    def feasible(self) -> bool:
        """True when every constraint is <= 0 (and NaN-free); trials without constraints are feasible."""
        if self.constraints is None:
            return True
        return all((not math.isnan(c)) and c <= 0.0 for c in self.constraints)

    @property
    def violation(self) -> float:
        """Sum of positive constraint values (0 for a feasible trial)."""
        if not self.constraints:
            return 0.0
        return float(sum(max(c, 0.0) if not math.isnan(c) else math.inf for c in self.constraints))

    @property
    def duration(self) -> _dt.timedelta | None:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def search_space(self) -> SearchSpace:
        return SearchSpace(dict(self.distributions))

    @property
    def last_step(self) -> int | None:
        return max(self.intermediate_values) if self.intermediate_values else None

    # an objective re-run on a stored trial (Optuna's ``objective(study.best_trial)``) ---------
    def suggest(self, name: str, distribution: Distribution) -> Any:
        """The stored value of ``name`` (checked against ``distribution``); raises if it has none."""
        from pfnopt.exceptions import ParameterError
        from pfnopt.space import check_value

        if name not in self.params:
            raise ParameterError(f"trial {self.number} has no parameter {name!r}; it has {sorted(self.params)}")
        check_value(name, distribution.validate(name), self.params[name])
        return self.params[name]

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None) -> float:
        from pfnopt.space import Float

        return self.suggest(name, Float(low, high, log=log, step=step))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        from pfnopt.space import Int

        return self.suggest(name, Int(low, high, log=log, step=step))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        from pfnopt.space import Categorical

        return self.suggest(name, Categorical(choices))

    def report(self, value: float, step: int) -> None:
        """Does nothing: a stored trial keeps its intermediate values (as in Optuna)."""

    def should_prune(self) -> bool:
        return False


@dataclass(frozen=True)
class StudyInfo:
    """A study as stored: its id, name, directions, creation time, attributes and trial count."""

    study_id: int
    name: str
    directions: tuple[StudyDirection, ...]
    created: _dt.datetime | None = None
    user_attrs: Mapping[str, Any] = field(default_factory=dict)
    system_attrs: Mapping[str, Any] = field(default_factory=dict)
    n_trials: int = 0

    # Optuna's StudySummary attribute names ----------------------------------------------
    @property
    def study_name(self) -> str:
        return self.name

    @property
    def datetime_start(self) -> _dt.datetime | None:
        return self.created

    @property
    def direction(self) -> StudyDirection:
        """The single direction (raises for a multi-objective study, as Optuna does)."""
        if len(self.directions) != 1:
            raise ValueError(f"study {self.name!r} has {len(self.directions)} objectives; use .directions")
        return self.directions[0]
