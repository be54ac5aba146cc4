"""Proposals of trials in flight, shown to the sampler as pending points: the one home of that rule.

A sampler treats a RUNNING trial as a pending point (:mod:`pfnopt.samplers.pending`) only once it can see
the trial's parameters, but a trial's parameters reach the storage only when its objective suggests them:

* threads of one process (``optimize(n_jobs=...)``, the Dask driver's ask threads): a trial is RUNNING,
  without parameters, for the whole of its sampling. Two threads sampling at the same time condition on
  the same trials and the acquisition optimiser converges to the same maximiser (measured before this
  module: 8 of 12 runs of a 10-trial two-objective PFN study with ``n_jobs=2`` gave two trials the same
  point, every time two samplings that overlapped in time);
* a define-by-run objective stores each parameter at its ``suggest``, so a trial that suggested ``x`` and
  not yet ``y`` would be pending with ``y`` at its neutral value;
* a Dask trial's proposal is stored only by the worker, when its objective suggests it (storing it up
  front would record parameters an objective may never suggest: a conditional branch it does not take,
  beside a value computed without them).

:class:`InFlightProposals` closes these gaps in one process. :meth:`InFlightProposals.sample` holds a
lock from the moment the sampler starts reading the trials until its proposal is recorded here, so the
next sampling of this process starts after the previous one has chosen and sees its point; the sampling
itself is therefore serialised per study object (the objective evaluations still run in parallel).
:class:`PendingView` is the study as the sampler reads it: a RUNNING trial with a recorded proposal lists
the proposed values of the parameters it has not stored yet (stored values win). An entry goes when its
trial is told (or seen finished).

Processes sharing one storage do not see each other's entries: there a trial is pending once its
parameters are stored.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import TYPE_CHECKING, Any, Iterable

from pfnopt.records import FrozenTrial, TrialState

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.samplers.base import BaseSampler
    from pfnopt.space import Distribution, SearchSpace
    from pfnopt.study import Study


class InFlightProposals:
    """``trial_id -> (params, distributions)`` of the proposals of this process's trials in flight."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards _by_id (held for dictionary operations only)
        # held from reading the trials to recording the proposal; re-entrant so that a sampler that
        # delegates to a sampler calling back through the study cannot deadlock its own thread
        self._choosing = threading.RLock()
        self._by_id: dict[int, tuple[dict[str, Any], dict[str, "Distribution"]]] = {}

    def sample(self, sampler: "BaseSampler", view: "PendingView", trial: FrozenTrial,
               space: "SearchSpace") -> dict[str, Any]:
        """``sampler.sample(view, trial, space)``, recorded as ``trial``'s proposal before the next sampling starts."""
        with self._choosing:
            proposal = sampler.sample(view, trial, space)
            self.add(trial.trial_id, proposal, dict(space))
        return proposal

    def add(self, trial_id: int, params: dict[str, Any], distributions: dict[str, "Distribution"]) -> None:
        """Record (or extend: a parameter sampled alone later) the proposal of trial ``trial_id``."""
        if not params:
            return
        with self._lock:
            old_params, old_dists = self._by_id.get(trial_id, ({}, {}))
            self._by_id[trial_id] = ({**old_params, **params},
                                     {**old_dists, **{n: distributions[n] for n in params}})

    def discard(self, trial_id: int) -> None:
        with self._lock:
            self._by_id.pop(trial_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_id)

    def overlay(self, trials: list[FrozenTrial]) -> list[FrozenTrial]:
        """``trials`` with each RUNNING one of ours completed by its proposal (stored values win).

        Entries of trials seen finished are dropped (a trial failed by another worker is never told here).
        """
        with self._lock:
            if not self._by_id:
                return trials
            by_id = dict(self._by_id)
        out, finished = [], []
        for t in trials:
            proposed = by_id.get(t.trial_id)
            if proposed is not None and t.state.is_finished():
                finished.append(t.trial_id)
            elif proposed is not None and t.state == TrialState.RUNNING:
                params, dists = proposed
                missing = [n for n in params if n not in t.params]
                if missing:
                    t = dataclasses.replace(
                        t, params={**t.params, **{n: params[n] for n in missing}},
                        distributions={**t.distributions, **{n: dists[n] for n in missing}},
                    )
            out.append(t)
        for trial_id in finished:
            self.discard(trial_id)
        return out


class PendingView:
    """The study as its sampler sees it: every member is the study's, except that ``get_trials`` /
    ``trials`` add the in-flight proposals (see the module docstring)."""

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
