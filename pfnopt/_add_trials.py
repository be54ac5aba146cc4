"""``study.add_trial``: store a finished (or WAITING) trial record made elsewhere.

The trial is created RUNNING with its params, given its intermediate values and attributes, then
finished in one call with its state, values and constraints; the original datetimes are written
last, where the storage can (:meth:`BaseStorage.set_trial_datetimes`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pfnopt.exceptions import InvalidValueError, ParameterError
from pfnopt.records import FrozenTrial, TrialState
from pfnopt.space import check_value

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


def check_record(study: "Study", t: FrozenTrial) -> None:
    """Refuse, before anything is written, a record this study cannot hold."""
    if not isinstance(t, FrozenTrial):
        raise ParameterError(f"add_trial takes a FrozenTrial (pfnopt.trial.create_trial), got {type(t).__name__}")
    if t.state == TrialState.COMPLETE:
        if t.values is None or len(t.values) != len(study.directions):
            raise InvalidValueError(
                f"add_trial: a COMPLETE trial needs {len(study.directions)} value(s) for study "
                f"{study.study_name!r}, got {t.values!r}"
            )
    for name, v in t.params.items():
        if name not in t.distributions:
            raise ParameterError(f"add_trial: parameter {name!r} has no distribution")
        check_value(name, t.distributions[name], v)


def add_trial(study: "Study", t: FrozenTrial) -> FrozenTrial:
    check_record(study, t)
    store, sid = study._storage, study._study_id
    if t.state == TrialState.WAITING:
        return study.enqueue_trial(dict(t.params), user_attrs=dict(t.user_attrs))
    system = {k: v for k, v in t.system_attrs.items()}
    created = store.create_trial(sid, state=TrialState.RUNNING, params=dict(t.params),
                                 distributions=dict(t.distributions), user_attrs=dict(t.user_attrs),
                                 system_attrs=system)
    for step, value in sorted(t.intermediate_values.items()):
        store.set_trial_intermediate_value(created.trial_id, int(step), float(value))
    out = created
    if t.state.is_finished():
        values = list(t.values) if t.state != TrialState.FAIL and t.values is not None else None
        constraints = list(t.constraints) if t.constraints is not None else None
        out = store.finish_trial(created.trial_id, t.state, values, constraints, {})
    try:
        out = store.set_trial_datetimes(created.trial_id, t.datetime_start, t.datetime_complete)
    except NotImplementedError:
        pass
    return out
