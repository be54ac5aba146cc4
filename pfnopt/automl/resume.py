"""Resuming an AutoML study: what must not change between the runs of one search.

A study's user attribute ``automl`` records the task, the space, the training budget, the
constraints, the scheduler and the seed (see :mod:`pfnopt.automl.searcher`). Trials of a resumed search are only
comparable with the stored ones when these are the same; :func:`search_changes` lists what
differs, and the searcher refuses to continue unless ``allow_changes`` is given. The task itself
can never change (the stored values would be losses on other data).
"""

from __future__ import annotations

from typing import Any, Mapping

from pfnopt.exceptions import ParameterError

# TrainConfig fields that say how a candidate is trained and scored: a change makes old and new
# values incomparable. The others (device, threads, compile, amp, latency_runs, ...) say how
# fast, not what.
BUDGET_FIELDS = (
    "epochs",
    "steps_per_epoch",
    "eval_windows",
    "batch_size",
    "lr",
    "weight_decay",
    "label_smoothing",
    "warmup_frac",
    "grad_clip",
    "seed",
)


def _space_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    out = []
    old_p, new_p = old.get("params", {}), new.get("params", {})
    for name in sorted(set(old_p) | set(new_p)):
        if name not in new_p:
            out.append(f"space: {name} removed (was {old_p[name]})")
        elif name not in old_p:
            out.append(f"space: {name} added ({new_p[name]})")
        elif old_p[name] != new_p[name]:
            out.append(f"space: {name} {old_p[name]} -> {new_p[name]}")
    old_f, new_f = old.get("fixed", {}), new.get("fixed", {})
    for name in sorted(set(old_f) | set(new_f)):
        if old_f.get(name) != new_f.get(name):
            out.append(f"space: fixed {name} {old_f.get(name, 'unset')} -> {new_f.get(name, 'unset')}")
    for key in ("children", "shared"):
        if old.get(key) != new.get(key) and not out:
            out.append(f"space: {key} differ")
    return out


def search_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Human-readable differences between a stored and a new search description (empty: same)."""
    changes = _space_changes(old.get("space", {}), new.get("space", {}))
    old_tc, new_tc = old.get("train_config", {}), new.get("train_config", {})
    for name in BUDGET_FIELDS:
        if old_tc.get(name) != new_tc.get(name):
            changes.append(f"training budget: {name} {old_tc.get(name)} -> {new_tc.get(name)}")
    old_s, new_s = old.get("scheduler", "per-trial"), new.get("scheduler", "per-trial")
    if old_s != new_s:
        changes.append(f"scheduler: {old_s} -> {new_s}")
    if old.get("limits", {}) != new.get("limits", {}):
        changes.append(f"constraints: {old.get('limits', {})} -> {new.get('limits', {})}")
    if old.get("constraint_names") != new.get("constraint_names"):
        changes.append(f"constraint names: {old.get('constraint_names')} -> {new.get('constraint_names')}")
    return changes


def check_resume(study_name: str, old: Mapping[str, Any] | None, new: Mapping[str, Any], allow_changes: bool) -> list[str]:
    """Raise ParameterError when the study was made for another task, or for another space /
    budget / constraints without ``allow_changes``; returns the (allowed) changes."""
    if old is None:
        return []
    if old.get("task") != new.get("task"):
        raise ParameterError(
            f"study {study_name!r} was made for task {old.get('task')}, not {new.get('task')}; use another --study name"
        )
    changes = search_changes(old, new)
    if changes and not allow_changes:
        raise ParameterError(
            f"study {study_name!r} was run with a different search: {'; '.join(changes)}. "
            "Its trials would not be comparable; pass --allow-changes (allow_changes=True) to continue anyway, "
            "or use another --study name"
        )
    return changes
