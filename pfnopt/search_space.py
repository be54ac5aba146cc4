"""Optuna's ``optuna.search_space``: the intersection search space of a study's trials."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from pfnopt.records import FrozenTrial, TrialState
from pfnopt.space import Distribution

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


def intersection_search_space(trials: Iterable[FrozenTrial], include_pruned: bool = False) -> dict[str, Distribution]:
    """The parameters that every COMPLETE (and, with ``include_pruned``, PRUNED) trial has, each
    with one distribution throughout, sorted by name."""
    states = (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (TrialState.COMPLETE,)
    space: dict[str, Distribution] | None = None
    for t in trials:
        if t.state not in states:
            continue
        if space is None:
            space = dict(t.distributions)
            continue
        space = {n: d for n, d in space.items() if t.distributions.get(n) == d}
    return dict(sorted((space or {}).items()))


class IntersectionSearchSpace:
    """Optuna's class form: ``IntersectionSearchSpace().calculate(study)``."""

    def __init__(self, include_pruned: bool = False):
        self._include_pruned = include_pruned

    def calculate(self, study: "Study") -> dict[str, Distribution]:
        return intersection_search_space(study.get_trials(), self._include_pruned)


__all__ = ["IntersectionSearchSpace", "intersection_search_space"]
