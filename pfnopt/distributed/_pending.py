"""The driver's proposals of trials in flight, shown to its sampler as pending points.

A Dask trial's parameters reach the storage only when the objective on the worker suggests
them: a proposal is the sampler's guess at the trial's space (the union of the finished trials'
parameters, conditional children included), and storing it up front would record parameters an
objective may never suggest (a conditional branch it does not take), beside a value computed
without them. Until the worker has suggested them, the driver knows them only in memory. This
view lets the driver's sampler see them anyway: a RUNNING trial of this run lists its proposed
values for the parameters it has not stored yet, so the next proposal treats it as pending
(queued tasks and concurrent asks included) and the sampler spreads its batch out.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING, Any, Iterable

from pfnopt.records import FrozenTrial, TrialState

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.space import Distribution
    from pfnopt.study import Study


class InFlightProposals:
    """``trial_id -> (params, distributions)`` of the proposals of this run's trials in flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_id: dict[int, tuple[dict[str, Any], dict[str, "Distribution"]]] = {}

    def add(self, trial_id: int, params: dict[str, Any], distributions: dict[str, "Distribution"]) -> None:
        if params:
            with self._lock:
                self._by_id[trial_id] = (dict(params), dict(distributions))

    def discard(self, trial_id: int) -> None:
        with self._lock:
            self._by_id.pop(trial_id, None)

    def overlay(self, trials: list[FrozenTrial]) -> list[FrozenTrial]:
        """``trials`` with each RUNNING one of ours completed by its proposal (stored values win)."""
        with self._lock:
            if not self._by_id:
                return trials
            by_id = dict(self._by_id)
        out = []
        for t in trials:
            proposed = by_id.get(t.trial_id) if t.state == TrialState.RUNNING else None
            if proposed is not None:
                params, dists = proposed
                missing = [n for n in params if n not in t.params]
                if missing:
                    t = dataclasses.replace(
                        t, params={**t.params, **{n: params[n] for n in missing}},
                        distributions={**t.distributions, **{n: dists[n] for n in missing}},
                    )
            out.append(t)
        return out


class PendingView:
    """The study as the driver's sampler sees it: every member is the study's, except that
    ``get_trials`` / ``trials`` add the in-flight proposals (see the module docstring)."""

    def __init__(self, study: "Study", proposals: InFlightProposals):
        self._pfnopt_study = study
        self._pfnopt_proposals = proposals

    def get_trials(self, deepcopy: Any = True, states: Iterable[TrialState] | None = None) -> list[FrozenTrial]:
        return self._pfnopt_proposals.overlay(self._pfnopt_study.get_trials(deepcopy, states))

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pfnopt_study, name)
