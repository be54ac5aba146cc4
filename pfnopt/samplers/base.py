"""The sampler contract: one method, ``sample(study, trial, space) -> params``.

Call order (by the study, for each trial):

1. At the trial's first ``suggest_*`` (or at ``ask(space)``), ``sample`` is called once with the
   joint space: the fixed space given to ``ask``, or :meth:`BaseSampler.infer_space` (the
   parameters seen in finished trials). The returned params are the trial's proposal.
2. A parameter suggested later that is not in that proposal (a new name, or a name whose
   distribution changed) is sampled alone: ``sample`` with a one-parameter space.

``sample`` must return, for every name in ``space``, a value inside its distribution, in external
form (``"steel"``, ``3``, ``0.25``). It may read any trials of the study
(``study.get_trials(states=...)``), including RUNNING ones, so that parallel workers spread out.
Given the same seed, the same stored trials and the same ``trial.number``, it returns the same
params. Samplers never write to the storage: diagnostics (acquisition value, probability of
feasibility, ...) go through :meth:`record`, and the study stores them with the trial.
A sampler may be shared by threads of one ``optimize(n_jobs=...)``: state lives in the storage,
per-call scratch in locals. The study calls ``sample`` for one trial at a time per process and shows
the trials proposed but not yet stored as RUNNING trials with their proposed params
(:mod:`pfnopt._in_flight`), so parallel workers see each other's points.
"""

from __future__ import annotations

import abc
import threading
from typing import Any

from pfnopt.records import FrozenTrial, TrialState
from pfnopt.space import SearchSpace
from pfnopt.study_view import StudyView


class BaseSampler(abc.ABC):
    """Base class of every sampler. Subclasses implement :meth:`sample`.

    ``multi_objective``: whether the sampler handles studies with several objectives; a study refuses to
    ask with one that does not (``NotSupportedError``) instead of letting it optimise objective 0 only.
    """

    multi_objective: bool = True

    def __init__(self, seed: int | None = None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
            from pfnopt.exceptions import ParameterError

            raise ParameterError(f"seed must be a non-negative integer or None, got {seed!r}")
        self.seed = seed
        self._local = threading.local()

    @abc.abstractmethod
    def sample(self, study: StudyView, trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        """Params for every name in ``space`` (external values, each inside its distribution)."""

    def infer_space(self, study: StudyView, trial: FrozenTrial) -> SearchSpace:
        """The joint space of a define-by-run trial: every parameter that finished trials used.

        A name seen with two different distributions is left out (it will be sampled alone).
        The union, not the intersection, so conditional spaces keep all their children: a
        trial simply ignores proposals for parameters it never suggests.
        """
        seen: dict[str, Any] = {}
        clash: set[str] = set()
        for t in study.get_trials(states=(TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)):
            for name, dist in t.distributions.items():
                if name in seen and seen[name] != dist:
                    clash.add(name)
                seen.setdefault(name, dist)
        return SearchSpace({n: d for n, d in seen.items() if n not in clash})

    # diagnostics, per thread ----------------------------------------------------------------
    def record(self, **values: Any) -> None:
        """Remember JSON-serialisable diagnostics of the current suggestion (this thread)."""
        store = getattr(self._local, "diag", None)
        if store is None:
            store = self._local.diag = {}
        store.update(values)

    def pop_diagnostics(self) -> dict[str, Any]:
        store = getattr(self._local, "diag", None) or {}
        self._local.diag = {}
        return store

    def __repr__(self) -> str:
        return f"{type(self).__name__}(seed={self.seed!r})"


def check_constraints_func(func: Any) -> Any:
    """Optuna's ``constraints_func=`` (``FrozenTrial -> sequence of floats``, read by ``Study.tell``) or None."""
    if func is not None and not callable(func):
        from pfnopt.exceptions import ParameterError

        raise ParameterError(f"constraints_func must be a callable (FrozenTrial -> sequence of floats) or None, "
                             f"got {func!r}")
    return func
