"""Trials that are not run by a study: ``create_trial`` (a finished FrozenTrial to add with
``study.add_trial``) and ``FixedTrial`` (an objective called with given parameters), under
Optuna's names and signatures.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any, Mapping, Sequence

from pfnopt.exceptions import InvalidValueError, ParameterError
from pfnopt.records import FrozenTrial, TrialState, utcnow
from pfnopt.space import Categorical, Distribution, Float, Int, check_value


def _constraint_list(constraints: Mapping[str, float] | Sequence[float] | None) -> tuple[list[float] | None, list[str] | None]:
    """Optuna 5's named constraints (a dict) or pfnopt's list, as (values, names)."""
    if constraints is None:
        return None, None
    if isinstance(constraints, Mapping):
        names = [str(k) for k in constraints]
        vals = list(constraints.values())
    else:
        names, vals = None, list(constraints)
    try:
        out = [float(v) for v in vals]
    except (TypeError, ValueError):
        raise InvalidValueError(f"constraints must be numbers, got {constraints!r}") from None
    return out, names


def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    values: Sequence[float] | None = None,
    params: Mapping[str, Any] | None = None,
    distributions: Mapping[str, Any] | None = None,
    user_attrs: Mapping[str, Any] | None = None,
    system_attrs: Mapping[str, Any] | None = None,
    intermediate_values: Mapping[int, float] | None = None,
    constraints: Mapping[str, float] | Sequence[float] | None = None,
    datetime_start: _dt.datetime | None = None,
    datetime_complete: _dt.datetime | None = None,
) -> FrozenTrial:
    """A finished (or WAITING / RUNNING) trial record to give to ``study.add_trial``.

    ``distributions`` may be pfnopt's or Optuna's objects. ``constraints`` may be Optuna 5's dict
    of named values or a list. The record has number -1 and id -1 until a study stores it.
    """
    from pfnopt.distributions import to_pfnopt_space

    state = TrialState.parse(state)
    if value is not None and values is not None:
        raise ParameterError("create_trial takes value or values, not both")
    vals = [value] if value is not None else (list(values) if values is not None else None)
    if vals is not None:
        try:
            vals = [float(v) for v in vals]
        except (TypeError, ValueError):
            raise InvalidValueError(f"create_trial: values must be numbers, got {vals!r}") from None
    if state == TrialState.COMPLETE and vals is None:
        raise InvalidValueError("create_trial(state=COMPLETE) needs value or values")
    if state not in (TrialState.COMPLETE, TrialState.PRUNED) and vals is not None:
        raise InvalidValueError(
            f"create_trial(state={state.name}) takes no values (COMPLETE trials have them, PRUNED ones may)")
    params = dict(params or {})
    dists = to_pfnopt_space(distributions or {})
    if set(params) != set(dists):
        raise ParameterError(
            f"create_trial: params and distributions must name the same parameters, got {sorted(params)} and {sorted(dists)}"
        )
    for name, v in params.items():
        check_value(name, dists[name], v)
    cons, names = _constraint_list(constraints)
    sys_attrs = dict(system_attrs or {})
    if names is not None:
        sys_attrs["constraint_names"] = names
    now = utcnow()
    start = datetime_start if datetime_start is not None else (now if state != TrialState.WAITING else None)
    complete = datetime_complete if datetime_complete is not None else (now if state.is_finished() else None)
    return FrozenTrial(
        trial_id=-1, number=-1, state=state, params=params, distributions=dists, values=vals,
        constraints=cons, intermediate_values={int(k): float(v) for k, v in (intermediate_values or {}).items()},
        user_attrs=dict(user_attrs or {}), system_attrs=sys_attrs,
        datetime_start=start, datetime_complete=complete,
    )


class FixedTrial:
    """A trial whose parameters are given: ``objective(FixedTrial({"x": 1.0}))`` re-runs a result.

    ``suggest_*`` return the given value (checked against the distribution; a parameter not
    given raises ParameterError naming it); ``report`` keeps values; ``should_prune`` is False.
    """

    def __init__(self, params: Mapping[str, Any], number: int = 0):
        self._fixed = dict(params)
        self.number = number
        self._params: dict[str, Any] = {}
        self._dists: dict[str, Distribution] = {}
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.intermediate_values: dict[int, float] = {}
        self._constraints: dict[str, float] = {}
        self.datetime_start = utcnow()

    def suggest(self, name: str, distribution: Distribution) -> Any:
        distribution = distribution.validate(name)
        if name not in self._fixed:
            raise ParameterError(f"FixedTrial has no value for parameter {name!r}; given: {sorted(self._fixed)}")
        value = self._fixed[name]
        check_value(name, distribution, value)
        self._params[name] = value
        self._dists[name] = distribution
        return value

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False, step: float | None = None) -> float:
        return self.suggest(name, Float(low, high, log=log, step=step))

    def suggest_int(self, name: str, low: int, high: int, *, step: int = 1, log: bool = False) -> int:
        return self.suggest(name, Int(low, high, log=log, step=step))

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self.suggest(name, Categorical(choices))

    def report(self, value: float, step: int) -> None:
        self.intermediate_values[int(step)] = float(value)

    def should_prune(self) -> bool:
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        self.user_attrs[key] = value

    def set_constraint(self, key: str, value: float) -> None:
        if math.isnan(float(value)):
            raise InvalidValueError(f"constraint {key!r} is NaN")
        self._constraints.setdefault(key, float(value))

    def set_constraints(self, values: Sequence[float]) -> None:
        self._constraints = {str(i): float(v) for i, v in enumerate(values)}

    @property
    def constraints(self) -> list[float] | None:
        return list(self._constraints.values()) if self._constraints else None

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._params)

    @property
    def distributions(self) -> dict[str, Distribution]:
        return dict(self._dists)
