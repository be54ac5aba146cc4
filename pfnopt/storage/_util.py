"""Helpers shared by the storages: attribute copies and parameter conversion/consistency checks."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from pfnopt.exceptions import ParameterError
from pfnopt.space import Distribution


def dump_json(key: str, value: Any) -> str:
    """The stored JSON text of an attribute value; refuses what JSON cannot hold (names the key)."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as e:
        raise ParameterError(
            f"attribute {key!r}: value {value!r} is not JSON-serialisable ({e}); "
            "use numbers, strings, booleans, None, lists and dicts with string keys"
        ) from None


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
