"""Copy studies between pfnopt's storages and Optuna's (any Optuna storage URL: its RDB schema is
what optuna-dashboard reads), with everything: directions, metric names, study attributes, and per
trial its state, params with distributions, values, constraints (Optuna 5's named constraints;
pfnopt keeps the names in the system attribute ``constraint_names``), intermediate values, user
and system attributes, and datetimes.

Both directions go through the public APIs (pfnopt's ``add_trial`` / ``create_trial``, Optuna's
``add_trial`` / ``create_trial``), so each side validates what it stores. The target study must
not exist yet (a DuplicateStudyError names it). Needs the ``optuna`` extra.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from pfnopt.exceptions import DuplicateStudyError, missing_extra

_CONSTRAINT_PREFIX = "constraints"  # Optuna's system-attribute key ("constraints" list, "constraints:<name>")


def _optuna():
    try:
        import optuna
    except ImportError:
        raise missing_extra("optuna", "optuna") from None
    return optuna


def export_to_optuna(study_name: str, storage: Any, to_url: str, to_study_name: str | None = None) -> Any:
    """Copy pfnopt study ``study_name`` (in ``storage``) to the Optuna storage ``to_url``; returns
    the new ``optuna.Study``."""
    import pfnopt
    from pfnopt.distributions import to_optuna

    optuna = _optuna()
    source = pfnopt.load_study(study_name, storage, sampler="random")
    name = to_study_name or study_name
    try:
        target = optuna.create_study(study_name=name, storage=to_url,
                                     directions=[d.name.lower() for d in source.directions])
    except optuna.exceptions.DuplicatedStudyError:
        raise DuplicateStudyError(f"the Optuna storage {to_url!r} already has a study named {name!r}; "
                                  "choose another with --name") from None
    system = dict(source.system_attrs)
    names = system.pop("metric_names", None)
    if names:
        with warnings.catch_warnings():  # Optuna marks set_metric_names experimental
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            target.set_metric_names(list(names))
    for k, v in source.user_attrs.items():
        target.set_user_attr(k, v)
    for k, v in system.items():
        target._storage.set_study_system_attr(target._study_id, k, v)
    OTS = optuna.trial.TrialState
    for t in source.get_trials():
        state = getattr(OTS, t.state.name)
        sys_attrs = dict(t.system_attrs)
        constraints = None
        if t.constraints is not None:
            cnames = sys_attrs.get("constraint_names") or [str(i) for i in range(len(t.constraints))]
            constraints = {str(n): float(c) for n, c in zip(cnames, t.constraints)}
        values = list(t.values) if t.values is not None and t.state.name != "FAIL" else None
        frozen = optuna.trial.create_trial(
            state=state, values=values, params=dict(t.params),
            distributions={n: to_optuna(d) for n, d in t.distributions.items()},
            user_attrs=dict(t.user_attrs), system_attrs=sys_attrs,
            intermediate_values={int(s): float(v) for s, v in t.intermediate_values.items()},
            constraints=constraints,
        )
        frozen.datetime_start = t.datetime_start
        frozen.datetime_complete = t.datetime_complete if t.state.is_finished() else None
        if t.state.name == "WAITING":
            frozen.datetime_start = None
            for k, v in sys_attrs.get("fixed_params", {}).items():
                frozen.system_attrs.setdefault("fixed_params", {})[k] = v
        target.add_trial(frozen)
    return target


def import_from_optuna(study_name: str, from_url: str, storage: Any, to_study_name: str | None = None) -> Any:
    """Copy Optuna study ``study_name`` (in the Optuna storage ``from_url``) into pfnopt's
    ``storage``; returns the new pfnopt Study (continue it with any pfnopt sampler)."""
    import pfnopt
    from pfnopt.distributions import to_pfnopt
    from pfnopt.records import TrialState
    from pfnopt.trial import create_trial

    optuna = _optuna()
    try:
        source = optuna.load_study(study_name=study_name, storage=from_url)
    except KeyError:
        names = optuna.get_all_study_names(from_url)
        raise pfnopt.StudyNotFoundError(
            f"the Optuna storage {from_url!r} has no study {study_name!r}; it has: {', '.join(names) or 'none'}"
        ) from None
    target = pfnopt.create_study(to_study_name or study_name, storage, sampler="random",
                                 directions=[d.name.lower() for d in source.directions])
    system = dict(source._storage.get_study_system_attrs(source._study_id))  # Optuna 5 has no public getter
    if source.metric_names:
        target.set_metric_names(list(source.metric_names))
    system = {k: v for k, v in system.items() if k != "study:metric_names"}
    for k, v in source.user_attrs.items():
        target.set_user_attr(k, v)
    for k, v in system.items():
        target.set_system_attr(k, v)
    records = []
    for t in source.get_trials(deepcopy=False):
        sys_attrs = {k: v for k, v in t.system_attrs.items()
                     if k != _CONSTRAINT_PREFIX and not k.startswith(_CONSTRAINT_PREFIX + ":")}
        order = sys_attrs.pop("constraint_names", None)  # re-derived from the constraint names below
        cons = dict(t.constraints)
        if order and set(order) == set(cons):  # Optuna's storage sorts the names; pfnopt's export kept the order
            cons = {k: cons[k] for k in order}
        values = None
        if t.values is not None and t.state != optuna.trial.TrialState.FAIL:
            values = [float(v) for v in t.values]
        state = TrialState[t.state.name]
        params = dict(t.params)
        if state == TrialState.WAITING:
            params = {**sys_attrs.get("fixed_params", {}), **params}
        records.append(create_trial(
            state=state, values=values, params=params if state != TrialState.WAITING else {},
            distributions={n: to_pfnopt(d) for n, d in t.distributions.items()} if state != TrialState.WAITING else {},
            user_attrs=dict(t.user_attrs), system_attrs=sys_attrs,
            intermediate_values={int(s): float(v) for s, v in t.intermediate_values.items() if not math.isnan(v)},
            constraints=cons or None,
            datetime_start=t.datetime_start, datetime_complete=t.datetime_complete,
        ))
        if state == TrialState.WAITING:
            records[-1].system_attrs["fixed_params"] = params
    for r in records:
        if r.state == TrialState.WAITING:
            target.enqueue_trial(dict(r.system_attrs.get("fixed_params", {})), user_attrs=dict(r.user_attrs))
        else:
            target.add_trial(r)
    return target
