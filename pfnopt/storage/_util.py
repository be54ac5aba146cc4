"""Helpers shared by the storages: attribute copies and parameter conversion/consistency checks."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from pfnopt.exceptions import ParameterError
from pfnopt.space import Distribution
from pfnopt.space.names import check_name


def dump_json(key: str, value: Any) -> str:
    """The stored JSON text of an attribute value; refuses what standard JSON cannot hold (NaN and
    infinities included: they would be written as non-standard ``NaN`` tokens), naming the key."""
    check_name("attribute name", key)
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ParameterError(
            f"attribute {key!r}: value {value!r} is not JSON-serialisable ({e}); "
            "use finite numbers, strings, booleans, None, lists and dicts with string keys"
        ) from None


def json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinite float (at any depth) replaced by None, for diagnostics
    the library itself records (a sampler's NaN must not make ``tell`` fail)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def copy_attrs(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    """A deep copy through JSON, so every storage hands back exactly what the SQL one would."""
    if not attrs:
        return {}
    return {str(k): json.loads(dump_json(k, v)) for k, v in attrs.items()}


def to_internal(
    params: Mapping[str, Any] | None, distributions: Mapping[str, Distribution] | None
) -> dict[str, tuple[float, Distribution]]:
    """``name -> (internal float, distribution)``; every param needs its distribution."""
    out: dict[str, tuple[float, Distribution]] = {}
    dists = distributions or {}
    for name, value in (params or {}).items():
        check_name("parameter name", name)
        if name not in dists:
            raise ParameterError(f"parameter {name!r} has no distribution (give one for every param)")
        dist = dists[name]
        internal = dist.to_internal(value)
        if not math.isfinite(internal):
            raise ParameterError(f"parameter {name!r}: value {value!r} is not finite")
        out[name] = (internal, dist)
    return out


def check_consistent(
    name: str, old: tuple[float, Distribution], new: tuple[float, Distribution], trial_number: int
) -> bool:
    """True when ``new`` equals what is stored (a harmless repeat); raises when it differs."""
    if old[1] != new[1]:
        raise ParameterError(
            f"parameter {name!r} of trial {trial_number} is already set with {old[1]!r}; "
            f"cannot set it again with {new[1]!r}"
        )
    if old[0] != new[0]:
        raise ParameterError(
            f"parameter {name!r} of trial {trial_number} is already set to "
            f"{old[1].to_external(old[0])!r}; cannot set it again to {new[1].to_external(new[0])!r}"
        )
    return True


def new_trial_fields(
    state: Any,
    params: dict[str, Any] | None,
    distributions: dict[str, Distribution] | None,
    user_attrs: Mapping[str, Any] | None,
    system_attrs: Mapping[str, Any] | None,
) -> tuple[Any, dict[str, tuple[float, Distribution]], dict[str, Any], dict[str, Any]]:
    """``create_trial``'s checks, shared by every storage: ``(state, internal params, user attrs, system attrs)``.

    A new trial is RUNNING or WAITING; parameters are converted to internal values (checked
    against their distributions) and attributes are deep-copied through JSON, before any write.
    """
    from pfnopt.records import TrialState

    state = TrialState(state)
    if state not in (TrialState.RUNNING, TrialState.WAITING):
        raise ParameterError(f"a new trial is RUNNING or WAITING, not {state.name}")
    return state, to_internal(params, distributions), copy_attrs(user_attrs), copy_attrs(system_attrs)


def retry_spec(failed: Any, max_retry: int) -> dict[str, Any] | None:
    """The system attributes of the WAITING retry of a stale trial just failed, or None when its
    lineage has used up ``max_retry``. The retry runs the same parameters (those it was given
    fixed plus those it suggested) and records where it comes from."""
    lineage = list(failed.system_attrs.get("retry_lineage", []))
    if len(lineage) >= max_retry:
        return None
    params = {**failed.system_attrs.get("fixed_params", {}), **failed.params}
    return copy_attrs({"fixed_params": params, "retried_from": failed.number, "retry_lineage": [*lineage, failed.number]})
