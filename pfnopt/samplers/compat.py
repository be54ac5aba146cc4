"""Samplers under Optuna's names, and the adapter that runs Optuna-style samplers on pfnopt.

* pfnopt's own, small: :class:`QMCSampler` (scrambled Sobol, pfnopt's ``sobol``),
  :class:`GridSampler`, :class:`BruteForceSampler`, :class:`PartialFixedSampler`
  (``RandomSampler`` is pfnopt's, re-exported).
* Optuna's (``TPESampler``, ``CmaEsSampler``, ``NSGAIISampler``, ``NSGAIIISampler``,
  ``GPSampler``): built with Optuna's arguments and run through :class:`OptunaSamplerAdapter`;
  they need the ``optuna`` extra (a clear MissingDependencyError names it otherwise).
* :class:`BaseSampler`: pfnopt's sampler base that also accepts Optuna's three-method contract
  (``infer_relative_search_space`` / ``sample_relative`` / ``sample_independent``), so a
  user-defined Optuna sampler subclassing ``pfnopt.samplers.BaseSampler`` runs as written.

How the adapter works: per pfnopt study it keeps a private in-memory Optuna study (the mirror)
in step with the pfnopt trials: each pfnopt trial gets a mirror trial (the one the mirror asked
for the pfnopt trial this process samples, a copy for others), and a pfnopt trial that finished
is told to the mirror (values, state, intermediate values, user attributes, constraints as
Optuna 5's named constraints), so the Optuna sampler's ``after_trial`` and its per-trial
system attributes (CMA-ES and NSGA-II keep their state there) work as in Optuna. Each
``suggest_*`` of the pfnopt trial is the same ``suggest_*`` on its mirror trial, so Optuna's
relative / independent split is Optuna's own. The mirror lives in this process: samplers in
several processes on one database each keep their own.
"""

from __future__ import annotations

import itertools
import threading
import zlib
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from pfnopt.exceptions import ParameterError, missing_extra
from pfnopt.records import FrozenTrial, TrialState
from pfnopt.samplers.base import BaseSampler as _PfnoptBase
from pfnopt.samplers.simple import RandomSampler, SobolSampler
from pfnopt.space import Categorical, Distribution, Float, Int, SearchSpace

if TYPE_CHECKING:  # pragma: no cover
    from pfnopt.study import Study


class BaseSampler(_PfnoptBase):
    """pfnopt's sampler base, also accepting Optuna's contract.

    Subclass it and implement either pfnopt's ``sample(study, trial, space)`` or Optuna's
    ``infer_relative_search_space(study, trial)`` (a dict of distributions, default empty),
    ``sample_relative(study, trial, search_space)`` (a dict of values) and
    ``sample_independent(study, trial, param_name, param_distribution)`` (one value). ``study``
    is the pfnopt study, ``trial`` a pfnopt FrozenTrial, distributions pfnopt's (equal to
    ``pfnopt.distributions.FloatDistribution`` etc.).
    """

    def __new__(cls, *args: Any, **kwargs: Any):
        # Optuna's samplers need not call super().__init__(): set what pfnopt's base needs here
        obj = super().__new__(cls)
        obj.seed = None
        obj._local = threading.local()
        return obj

    def __init__(self, seed: int | None = None):
        super().__init__(seed)

    def infer_relative_search_space(self, study: "Study", trial: FrozenTrial) -> dict[str, Distribution]:
        return {}

    def sample_relative(self, study: "Study", trial: FrozenTrial, search_space: Mapping[str, Distribution]) -> dict[str, Any]:
        return {}

    def sample_independent(self, study: "Study", trial: FrozenTrial, param_name: str, param_distribution: Distribution) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} implements neither pfnopt's sample(study, trial, space) nor Optuna's "
            "sample_independent(study, trial, param_name, param_distribution)"
        )

    def infer_space(self, study: "Study", trial: FrozenTrial) -> SearchSpace:
        space = SearchSpace(dict(self.infer_relative_search_space(study, trial) or {}))
        self._local.relative = (trial.number, tuple(space))
        return space

    def sample(self, study: "Study", trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        out: dict[str, Any] = {}
        key = (trial.number, tuple(space))
        if getattr(self._local, "relative", None) == key:  # the joint call after infer_space
            self._local.relative = None
            out = {n: v for n, v in (self.sample_relative(study, trial, dict(space)) or {}).items() if n in space}
        elif len(space) > 1:  # ask(space): relative over its share of the relative space, as in Optuna
            rel = {n: d for n, d in (self.infer_relative_search_space(study, trial) or {}).items()
                   if n in space and space[n] == d}
            if rel:
                out = {n: v for n, v in (self.sample_relative(study, trial, rel) or {}).items() if n in rel}
        for name, dist in space.items():
            if name not in out:
                out[name] = self.sample_independent(study, trial, name, dist)
        return out


# pfnopt's own -------------------------------------------------------------------------------
class _OptunaCalls:
    """Optuna's ``sample_independent`` on a pfnopt sampler (user samplers delegate to it)."""

    def sample_independent(self, study: "Study", trial: FrozenTrial, param_name: str, param_distribution: Any) -> Any:
        from pfnopt.distributions import to_pfnopt

        dist = to_pfnopt(param_distribution)
        return self.sample(study, trial, SearchSpace({param_name: dist}))[param_name]


class RandomSampler(_OptunaCalls, RandomSampler):  # type: ignore[no-redef]
    """pfnopt's uniform RandomSampler, also answering Optuna's ``sample_independent``."""


class QMCSampler(_OptunaCalls, SobolSampler):
    """Optuna's ``QMCSampler``: pfnopt's scrambled Sobol points (``qmc_type="sobol"`` only)."""

    def __init__(self, *, qmc_type: str = "sobol", scramble: bool = True, seed: int | None = None,
                 independent_sampler: Any = None, warn_independent_sampling: bool = True):
        if qmc_type != "sobol":
            raise ParameterError(f"QMCSampler: qmc_type {qmc_type!r} is not supported; pfnopt's is 'sobol'")
        if not scramble:
            raise ParameterError("QMCSampler: scramble=False is not supported; pfnopt's Sobol points are scrambled")
        super().__init__(seed)


def _seeded(seed: int | None, *parts: Any) -> np.random.Generator:
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng([seed, *[zlib.crc32(repr(p).encode()) for p in parts]])


class _PerTrialChoice:
    """A choice made once per trial (thread-safe), remembered while the trial samples its params."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chosen: dict[tuple[int, int, int], Any] = {}

    def get(self, study: "Study", number: int, make: Callable[[], Any]) -> Any:
        key = (id(study._storage), study._study_id, number)
        with self._lock:
            if key not in self._chosen:
                if len(self._chosen) > 10000:
                    self._chosen.clear()
                self._chosen[key] = make()
            return self._chosen[key]


class GridSampler(_PfnoptBase):
    """Every point of ``search_space`` (``{name: [values]}``), in random order, each once.

    A point already taken by a trial of the study (any state) is not proposed again while
    others are free; when the last free point is handed out, the running ``optimize`` stops
    (``study.stop()``), as Optuna's GridSampler does. A parameter not in the grid raises.
    """

    def __init__(self, search_space: Mapping[str, Sequence[Any]], seed: int | None = None):
        super().__init__(seed)
        if not isinstance(search_space, Mapping) or not search_space:
            raise ParameterError(f"GridSampler needs a non-empty dict of parameter name -> list of values, got {search_space!r}")
        self._names = sorted(search_space)
        for n in self._names:
            if isinstance(search_space[n], str) or len(list(search_space[n])) == 0:
                raise ParameterError(f"GridSampler: the values of {n!r} must be a non-empty list, got {search_space[n]!r}")
        self.search_space = {n: list(search_space[n]) for n in self._names}
        self._grid = list(itertools.product(*(self.search_space[n] for n in self._names)))
        self._choice = _PerTrialChoice()

    def infer_space(self, study: "Study", trial: FrozenTrial) -> SearchSpace:
        return SearchSpace({})

    def _taken(self, study: "Study", number: int) -> set[int]:
        index = {g: i for i, g in enumerate(self._grid)}
        taken = set()
        for t in study.get_trials():
            if t.number == number:
                continue
            have = {**t.system_attrs.get("fixed_params", {}), **t.params}
            if all(n in have for n in self._names):
                i = index.get(tuple(have[n] for n in self._names))
                if i is not None:
                    taken.add(i)
        return taken

    def _pick(self, study: "Study", trial: FrozenTrial) -> int:
        taken = self._taken(study, trial.number)
        free = [i for i in range(len(self._grid)) if i not in taken]
        rng = _seeded(self.seed, "grid", trial.number)
        if not free:
            return int(rng.integers(len(self._grid)))
        if len(free) == 1 and getattr(study, "_optimizing", False):
            study.stop()
        return int(free[int(rng.integers(len(free)))])

    def is_exhausted(self, study: "Study") -> bool:
        return len(self._taken(study, -1)) >= len(self._grid)

    def sample(self, study: "Study", trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        point = self._grid[self._choice.get(study, trial.number, lambda: self._pick(study, trial))]
        out = {}
        for name, dist in space.items():
            if name not in self.search_space:
                raise ParameterError(f"GridSampler: parameter {name!r} is not in the grid {self._names}")
            value = point[self._names.index(name)]
            if not dist.contains(value):
                raise ParameterError(f"GridSampler: grid value {value!r} of {name!r} is outside its distribution {dist!r}")
            out[name] = value
        return out


def _values_of(dist: Distribution) -> list[Any]:
    if isinstance(dist, Categorical):
        return list(dist.choices)
    if isinstance(dist, Int):
        return list(range(int(dist.low), int(dist.high) + 1, int(dist.step)))
    if isinstance(dist, Float) and dist.step is not None:
        n = int(round((dist.high - dist.low) / dist.step))
        return [float(dist.low + k * dist.step) for k in range(n + 1)]
    if isinstance(dist, Float) and dist.low == dist.high:
        return [float(dist.low)]
    raise ParameterError(f"BruteForceSampler needs finite distributions (categorical, int, or float with step), got {dist!r}")


class BruteForceSampler(_PfnoptBase):
    """Tries every combination of a finite define-by-run space, each once where it can.

    Each parameter takes a value not yet tried by a trial with the same earlier parameters, or,
    when all were, one whose branch may still hold untried combinations; once every combination
    was tried, the next trial repeats one and the running ``optimize`` stops after it (Optuna
    stops one trial earlier).
    """

    def infer_space(self, study: "Study", trial: FrozenTrial) -> SearchSpace:
        return SearchSpace({})

    def sample(self, study: "Study", trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        others = [t for t in study.get_trials() if t.number != trial.number]
        prefix = dict(trial.params)
        out = {}
        for name, dist in space.items():
            values = _values_of(dist)
            same = _below(others, prefix)
            tried = [t.params[name] for t in same if name in t.params]
            fresh = [v for v in values if v not in tried]
            open_ = fresh or [v for v in values if _is_open(_below(same, {name: v}), len(prefix) + 1)]
            if not open_ and not prefix and getattr(study, "_optimizing", False):
                study.stop()  # every combination was tried: this trial repeats one, and is the last
            pool = open_ or values
            value = pool[int(_seeded(self.seed, "brute", trial.number, name).integers(len(pool)))]
            prefix[name], out[name] = value, value
        return out


def _below(trials: list[FrozenTrial], prefix: Mapping[str, Any]) -> list[FrozenTrial]:
    return [t for t in trials if all(k in t.params and t.params[k] == v for k, v in prefix.items())]


def _is_open(trials: list[FrozenTrial], depth: int) -> bool:
    """True while the trials sharing a prefix of ``depth`` parameters have not tried every value
    of the next parameter (in suggestion order), at every level below."""
    deeper = [t for t in trials if len(t.params) > depth]
    if not deeper:
        return not trials  # an untouched branch is open, a leaf is done
    name = list(deeper[0].params)[depth]
    try:
        values = _values_of(deeper[0].distributions[name])
    except ParameterError:
        return True
    tried = [t.params[name] for t in deeper if name in t.params]
    if any(v not in tried for v in values):
        return True
    return any(_is_open(_below(deeper, {name: v}), depth + 1) for v in values)


class PartialFixedSampler(_PfnoptBase):
    """``fixed_params`` always take the given values; the others come from ``base_sampler``."""

    def __init__(self, fixed_params: Mapping[str, Any], base_sampler: _PfnoptBase):
        super().__init__(getattr(base_sampler, "seed", None))
        from pfnopt.samplers import get_sampler

        self.fixed_params = dict(fixed_params)
        self.base_sampler = get_sampler(base_sampler)

    @property
    def constraints_func(self):
        return getattr(self.base_sampler, "constraints_func", None)

    def infer_space(self, study: "Study", trial: FrozenTrial) -> SearchSpace:
        return self.base_sampler.infer_space(study, trial)

    def sample(self, study: "Study", trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        free = space.subset([n for n in space if n not in self.fixed_params])
        out = self.base_sampler.sample(study, trial, free) if len(free) else {}
        self.record(**self.base_sampler.pop_diagnostics())
        for name in space:
            if name in self.fixed_params:
                value = self.fixed_params[name]
                if not space[name].contains(value):
                    raise ParameterError(f"PartialFixedSampler: fixed value {value!r} of {name!r} is outside {space[name]!r}")
                out[name] = value
        return out


# Optuna's, through the adapter --------------------------------------------------------------
def _optuna():
    try:
        import optuna
    except ImportError:
        raise missing_extra("optuna", "optuna") from None
    return optuna


class OptunaSamplerAdapter(_PfnoptBase):
    """Runs any Optuna sampler object (``optuna.samplers.TPESampler(...)``, a user's subclass of
    ``optuna.samplers.BaseSampler``) as a pfnopt sampler; see the module docstring."""

    def __init__(self, optuna_sampler: Any):
        super().__init__(None)
        self.optuna_sampler = optuna_sampler
        self._lock = threading.RLock()
        self._mirrors: dict[tuple[int, int], _Mirror] = {}

    @property
    def constraints_func(self):
        return getattr(self.optuna_sampler, "_constraints_func", None)

    def __repr__(self) -> str:
        return f"OptunaSamplerAdapter({type(self.optuna_sampler).__name__})"

    def infer_space(self, study: "Study", trial: FrozenTrial) -> SearchSpace:
        return SearchSpace({})  # every suggest_* goes to the mirror trial's suggest_*

    def sample(self, study: "Study", trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        with self._lock:
            key = (id(study._storage), study._study_id)
            mirror = self._mirrors.get(key)
            if mirror is None:
                mirror = self._mirrors[key] = _Mirror(_optuna(), self.optuna_sampler, study)
            mirror.sync(study, exclude=trial.number)
            return mirror.suggest(trial.number, space)


class _Mirror:
    """The in-memory Optuna study kept in step with one pfnopt study."""

    def __init__(self, optuna: Any, sampler: Any, study: "Study"):
        import logging

        self.optuna = optuna
        quiet = logging.getLogger("optuna")
        level = quiet.level
        quiet.setLevel(logging.WARNING)
        try:
            self.study = optuna.create_study(storage=optuna.storages.InMemoryStorage(), sampler=sampler,
                                             directions=[d.name.lower() for d in study.directions])
        finally:
            quiet.setLevel(level)
        self.own_constraints = getattr(sampler, "_constraints_func", None) is not None
        self.number_of: dict[int, int] = {}   # pfnopt number -> mirror number
        self.asked: dict[int, Any] = {}       # pfnopt number -> live optuna Trial (asked here)
        self.told: set[int] = set()

    def sync(self, study: "Study", exclude: int) -> None:
        from pfnopt.distributions import to_optuna

        OTS = self.optuna.trial.TrialState
        for t in study.get_trials():
            if t.number == exclude or t.number in self.told or t.state == TrialState.WAITING:
                continue
            if t.number not in self.number_of:
                if not t.state.is_finished():
                    if not t.params:
                        continue  # nothing to learn from yet; copied once it has params or is told
                dists = {n: to_optuna(d) for n, d in t.distributions.items()}
                copy = self.optuna.trial.create_trial(state=OTS.RUNNING, params=dict(t.params), distributions=dists,
                                                      user_attrs=_jsonable(t.user_attrs))
                self.study.add_trial(copy)
                self.number_of[t.number] = len(self.study.get_trials(deepcopy=False)) - 1
            if t.state.is_finished():
                self._tell(t)

    def _tell(self, t: FrozenTrial) -> None:
        OTS = self.optuna.trial.TrialState
        number = self.number_of[t.number]
        storage = self.study._storage
        trial_id = storage.get_trial_id_from_study_id_trial_number(self.study._study_id, number)
        for step, v in t.intermediate_values.items():
            storage.set_trial_intermediate_value(trial_id, int(step), float(v))
        for k, v in _jsonable(t.user_attrs).items():
            storage.set_trial_user_attr(trial_id, k, v)
        if t.constraints is not None and not self.own_constraints:
            names = t.system_attrs.get("constraint_names") or [str(i) for i in range(len(t.constraints))]
            for name, c in zip(names, t.constraints):
                storage.set_trial_system_attr(trial_id, f"constraints:{name}", float(c))
        state = {TrialState.COMPLETE: OTS.COMPLETE, TrialState.PRUNED: OTS.PRUNED}.get(t.state, OTS.FAIL)
        values = list(t.values) if state == OTS.COMPLETE and t.values is not None else None
        self.study.tell(number, values, state=state)
        self.told.add(t.number)
        self.asked.pop(t.number, None)

    def suggest(self, number: int, space: SearchSpace) -> dict[str, Any]:
        live = self.asked.get(number)
        if live is None:
            live = self.asked[number] = self.study.ask()
            self.number_of[number] = live.number
        out = {}
        for name, dist in space.items():
            if isinstance(dist, Float):
                out[name] = live.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
            elif isinstance(dist, Int):
                out[name] = live.suggest_int(name, int(dist.low), int(dist.high), log=dist.log, step=int(dist.step))
            else:
                out[name] = live.suggest_categorical(name, list(dist.choices))
        return out


def to_optuna_trial(t: FrozenTrial) -> Any:
    """Optuna's FrozenTrial of a pfnopt one (state, params with distributions, values, attrs)."""
    from pfnopt.distributions import to_optuna

    optuna = _optuna()
    values = list(t.values) if t.values is not None and t.state != TrialState.FAIL else None
    frozen = optuna.trial.create_trial(
        state=getattr(optuna.trial.TrialState, t.state.name), values=values, params=dict(t.params),
        distributions={n: to_optuna(d) for n, d in t.distributions.items()}, user_attrs=_jsonable(t.user_attrs),
        system_attrs=_jsonable(t.system_attrs),
        intermediate_values={int(k): float(v) for k, v in t.intermediate_values.items()},
    )
    frozen.number = t.number
    return frozen


def _jsonable(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in attrs.items()}


class _OptunaNamed(OptunaSamplerAdapter):
    """An Optuna sampler class by name, built with Optuna's keyword arguments."""

    _name = ""

    def __init__(self, *args: Any, **kwargs: Any):
        optuna = _optuna()
        if kwargs.get("source_trials") is not None:  # CMA-ES warm start from a pfnopt study's trials
            kwargs["source_trials"] = [to_optuna_trial(t) if isinstance(t, FrozenTrial) else t for t in kwargs["source_trials"]]
        super().__init__(getattr(optuna.samplers, self._name)(*args, **kwargs))
        self.seed = kwargs.get("seed")


class TPESampler(_OptunaNamed):
    """Optuna's TPESampler (``optuna`` extra), same arguments."""

    _name = "TPESampler"


class CmaEsSampler(_OptunaNamed):
    """Optuna's CmaEsSampler (``optuna`` extra; ``cmaes`` too), same arguments."""

    _name = "CmaEsSampler"


class NSGAIISampler(_OptunaNamed):
    """Optuna's NSGAIISampler (``optuna`` extra), same arguments."""

    _name = "NSGAIISampler"


class NSGAIIISampler(_OptunaNamed):
    """Optuna's NSGAIIISampler (``optuna`` extra), same arguments."""

    _name = "NSGAIIISampler"


class GPSampler(_OptunaNamed):
    """Optuna's GPSampler (``optuna`` extra), same arguments."""

    _name = "GPSampler"


def as_pfnopt_sampler(sampler: Any) -> Any:
    """A real Optuna sampler object wrapped in the adapter; anything else returned as is."""
    if isinstance(sampler, _PfnoptBase) or sampler is None or isinstance(sampler, str):
        return sampler
    if callable(getattr(sampler, "sample_independent", None)):
        return OptunaSamplerAdapter(sampler)
    return sampler


__all__ = [
    "BaseSampler", "BruteForceSampler", "CmaEsSampler", "GPSampler", "GridSampler", "NSGAIIISampler",
    "NSGAIISampler", "OptunaSamplerAdapter", "PartialFixedSampler", "QMCSampler", "RandomSampler", "TPESampler",
    "as_pfnopt_sampler",
]
