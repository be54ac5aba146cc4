"""pfnopt's PFN sampler as an Optuna sampler: keep Optuna (its storages, dashboard, plots,
integrations) and swap only the sampler::

    import optuna
    from pfnopt.integrations.optuna import PFNSampler

    study = optuna.create_study(sampler=PFNSampler(seed=0), storage="sqlite:///optuna.db")
    study.optimize(objective, n_trials=40)

Optuna's contract, and how each part is met:

* Relative sampling over Optuna's intersection search space (``IntersectionSearchSpace``, the
  parameters every finished trial has with one distribution): each call copies the study's
  trials into a private in-memory pfnopt study (its "shadow", one per call, nothing kept) and
  asks pfnopt's :class:`pfnopt.samplers.pfn.PFNSampler` through its public
  ``sample(study, trial, space)``. The shadow keeps Optuna's trial numbers, so pfnopt's seeding by
  ``(seed, trial number)`` and its start-up Sobol design are the same as in pfnopt.
* Independent fallback: parameters outside that space (the first trial, conditional or
  changing parameters) come from ``independent_sampler`` (default Optuna's RandomSampler).
* Constraints: Optuna 5's per-trial constraints (``trial.set_constraint(name, value)``, read as
  ``FrozenTrial.constraints``), in the order of their names in the first constrained trial;
  ``constraints_func`` (Optuna 4's style) is also taken: its values are stored as named
  constraints ``"0"``, ``"1"``, ... after each trial.
* Running trials (other workers, threads, processes on one RDB storage) are copied RUNNING
  with their parameters, so the PFN sampler's pending-point rule pushes them apart.
* Multi-objective studies: sampled by the PFN sampler when it handles several objectives
  (its ``multi_objective`` flag), otherwise every parameter comes from ``independent_sampler``
  (a warning says so once).

The sampler pickles (for a process pool): the PFN is reloaded in each process on first use.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any, Callable, Sequence

from pfnopt.exceptions import missing_extra

try:
    import optuna
    from optuna.samplers import BaseSampler as _OptunaBase
    from optuna.search_space import IntersectionSearchSpace
    from optuna.trial import FrozenTrial as OptunaFrozenTrial
    from optuna.trial import TrialState as OptunaState
except ImportError as e:  # pragma: no cover - only without the extra
    raise missing_extra("optuna", "optuna") from e

logger = logging.getLogger("pfnopt")

_STATES = {
    OptunaState.COMPLETE: "COMPLETE", OptunaState.PRUNED: "PRUNED", OptunaState.FAIL: "FAIL",
    OptunaState.RUNNING: "RUNNING", OptunaState.WAITING: "WAITING",
}


class PFNSampler(_OptunaBase):
    """The PFN sampler (pfnopt's default) for Optuna studies.

    Args:
        seed: seed of the PFN sampler and of the default independent sampler.
        constraints: pfnopt's constraint handling, ``cei`` (default), ``cei+`` or ``penalty``.
        independent_sampler: an Optuna sampler for parameters outside the relative space
            (default ``optuna.samplers.RandomSampler(seed)``).
        constraints_func: Optuna 4's ``constraints_func(frozen_trial) -> sequence of floats``;
            prefer ``trial.set_constraint`` in the objective (Optuna 5).
        **pfn_kwargs: passed to :class:`pfnopt.samplers.pfn.PFNSampler` (``n_startup``,
            ``acquisition``, ``device``, ``checkpoint``, ...).
    """

    def __init__(
        self,
        seed: int | None = None,
        constraints: str = "cei",
        independent_sampler: Any = None,
        constraints_func: Callable[[OptunaFrozenTrial], Sequence[float]] | None = None,
        **pfn_kwargs: Any,
    ):
        self._seed = seed
        self._kwargs = dict(constraints=constraints, **pfn_kwargs)
        self._pfn = self._build()  # checks the arguments now (no checkpoint is loaded yet)
        self._independent = independent_sampler or optuna.samplers.RandomSampler(seed=seed)
        self._constraints_func = constraints_func
        self._space = IntersectionSearchSpace()
        self._warned_multi = False

    def _build(self):
        from pfnopt.samplers.pfn import PFNSampler as _PFN

        return _PFN(seed=self._seed, **self._kwargs)

    # pickling for process pools: the PFN and its thread-locals are rebuilt in the new process
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_pfn"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._pfn = self._build()

    def reseed_rng(self) -> None:
        self._independent.reseed_rng()

    # Optuna's sampler contract ---------------------------------------------------------------
    def infer_relative_search_space(self, study: "optuna.Study", trial: OptunaFrozenTrial) -> dict[str, Any]:
        if len(study.directions) > 1 and not getattr(self._pfn, "multi_objective", False):
            if not self._warned_multi:
                warnings.warn("this PFN sampler is single-objective: this multi-objective study is sampled "
                              "by the independent sampler", stacklevel=2)
                self._warned_multi = True
            return {}
        space = self._space.calculate(study)  # sorted by name
        # the PFN's input columns in the objective's suggestion order (as pfnopt's own sampler sees
        # them), taken from the latest finished trial; names it lacks keep Optuna's order after them
        done = study.get_trials(deepcopy=False, states=(OptunaState.COMPLETE,))
        first = [n for n in (done[-1].params if done else {}) if n in space]
        order = first + [n for n in space if n not in first]
        return {n: space[n] for n in order if not space[n].single()}

    def sample_relative(self, study: "optuna.Study", trial: OptunaFrozenTrial, search_space: dict[str, Any]) -> dict[str, Any]:
        if not search_space:
            return {}
        from pfnopt.distributions import to_pfnopt
        from pfnopt.space import SearchSpace

        space = SearchSpace({n: to_pfnopt(d) for n, d in search_space.items()})
        shadow, current = shadow_study(study, trial, space)
        params = self._pfn.sample(shadow, current, space)
        self._pfn.pop_diagnostics()
        return params

    def sample_independent(self, study: "optuna.Study", trial: OptunaFrozenTrial, param_name: str, param_distribution: Any) -> Any:
        return self._independent.sample_independent(study, trial, param_name, param_distribution)

    def before_trial(self, study: "optuna.Study", trial: OptunaFrozenTrial) -> None:
        self._independent.before_trial(study, trial)

    def after_trial(self, study: "optuna.Study", trial: OptunaFrozenTrial, state: OptunaState, values: Sequence[float] | None) -> None:
        if self._constraints_func is not None and state in (OptunaState.COMPLETE, OptunaState.PRUNED):
            cons = [float(c) for c in self._constraints_func(trial)]
            for i, c in enumerate(cons):
                study._storage.set_trial_system_attr(trial._trial_id, f"constraints:{i}", c)
        self._independent.after_trial(study, trial, state, values)


def shadow_study(study: "optuna.Study", trial: OptunaFrozenTrial, space) -> tuple[Any, Any]:
    """An in-memory pfnopt study holding the Optuna study's trials restricted to ``space``
    (same numbers, states, values, constraints, intermediate values), and the pfnopt record of
    ``trial`` (RUNNING, no params) inside it."""
    import pfnopt
    from pfnopt.records import TrialState
    from pfnopt.trial import create_trial

    shadow = pfnopt.create_study(storage=None, sampler="random",
                                 directions=[d.name.lower() for d in study.directions])
    trials = study.get_trials(deepcopy=False)
    names: list[str] = []
    for t in trials:
        for key in t.constraints:
            if key not in names:
                names.append(key)
    current = None
    for t in trials:
        state = TrialState[_STATES[t.state]]
        if t.number == trial.number:
            state = TrialState.RUNNING
        params = {n: v for n, v in t.params.items() if n in space and space[n].contains(v)} if t.number != trial.number else {}
        values = list(t.values) if state == TrialState.COMPLETE and t.values is not None else None
        cons = t.constraints
        constraints = [float(cons.get(k, 0.0)) for k in names] if names and state == TrialState.COMPLETE and cons else None
        if state == TrialState.WAITING:
            state, params = TrialState.RUNNING, {}
        record = create_trial(
            state=state, values=values, params=params, distributions={n: space[n] for n in params},
            intermediate_values={int(k): float(v) for k, v in t.intermediate_values.items()},
            constraints=constraints,
        )
        stored = shadow.add_trial(record)
        if t.number == trial.number:
            current = stored
    if current is None:  # the trial is not in get_trials yet (never the case in Optuna's loop)
        current = shadow.add_trial(create_trial(state=TrialState.RUNNING, params={}, distributions={}))
    return shadow, current
