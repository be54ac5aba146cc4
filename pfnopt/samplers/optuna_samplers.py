"""Optuna's own samplers as pfnopt baselines: ``optuna-tpe`` (alias ``tpe``), ``optuna-gp`` and ``nsga2``.

(NSGA-II, ``kind="nsga2"``: the generation Optuna gives each trial is stored with the trial's sampler
diagnostics and copied back into the mirror, so generations advance although the mirror is rebuilt.)

``OptunaSampler(kind="tpe" | "gp")`` runs Optuna's ``TPESampler`` or ``GPSampler`` through
Optuna's public API, with Optuna's defaults (in Optuna 5: multivariate TPE and the constant
liar for single-objective studies, which is what Optuna recommends for parallel constrained
runs; GPSampler with its log-EI / constrained log-EI and qLogEI over running trials). Extra
keyword arguments go to the Optuna sampler unchanged.

How: at each suggestion, the pfnopt study is copied into a private in-memory Optuna study (the
"mirror") with ``optuna.trial.create_trial`` — finished trials with their values, PRUNED ones
with their intermediate values, FAIL ones, RUNNING ones with the parameters they have so far
(so the constant liar / qLogEI see them), and constraints as Optuna's per-trial constraints
(``constraints={"0": c_0, ...}``, feasible iff every value <= 0, as in pfnopt; a trial of a
constrained study told without constraints counts as feasible, the rule of
:func:`~pfnopt.samplers.observations.collect`). Then ``mirror.ask(fixed_distributions)`` with the
space translated to Optuna's distributions gives the parameters. The mirror and the Optuna
sampler are rebuilt per call with a seed drawn from ``(seed, trial.number, names)``: the
sampler keeps no state between calls, so the same seed, stored trials and trial number give the
same parameters, in any process (pfnopt's sampler contract). The one thing this gives up is
GPSampler's warm start of the kernel fit from the previous call (its cache), which changes
the fitting start point, not the model; ``benchmarks/baselines/README.md`` compares the two.

The first ``n_startup`` trials (default ``min(max(5, 2 * n_params), 20)``) come from pfnopt's
:class:`~pfnopt.samplers.simple.SobolSampler`, so all baselines of a benchmark cell share the
initial design; Optuna's own ``n_startup_trials`` is then 0.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import numpy as np

from pfnopt.exceptions import ParameterError, missing_extra
from pfnopt.records import FrozenTrial, TrialState
from pfnopt.samplers.base import BaseSampler
from pfnopt.samplers.observations import collect
from pfnopt.samplers.rules import call_seed, default_n_startup, in_startup
from pfnopt.samplers.simple import SobolSampler
from pfnopt.space import Categorical, Distribution, Float, Int, SearchSpace
from pfnopt.study_view import StudyView

KINDS = ("tpe", "gp", "nsga2")
_GENERATION = "optuna_generation"  # diagnostics key: a GA trial's generation, fed back to the next mirror
_RESERVED = ("seed", "n_startup_trials", "constraints_func")
_quiet = threading.local()


class _DropMirrorCreation(logging.Filter):
    """Drops Optuna's 'A new study created in memory' line for the mirrors (this thread only)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (getattr(_quiet, "on", False) and record.levelno <= logging.INFO)


def _import_optuna():
    try:
        import optuna
    except ImportError:
        raise missing_extra("optuna", "optuna") from None
    log = logging.getLogger("optuna.storages._in_memory")
    if not any(isinstance(f, _DropMirrorCreation) for f in log.filters):
        log.addFilter(_DropMirrorCreation())
    return optuna


def to_optuna(dist: Distribution):
    """The Optuna distribution of a pfnopt one (same bounds, log scale, step and choices)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    if isinstance(dist, Float):
        return FloatDistribution(float(dist.low), float(dist.high), log=dist.log, step=dist.step)
    if isinstance(dist, Int):
        return IntDistribution(int(dist.low), int(dist.high), log=dist.log, step=int(dist.step))
    if isinstance(dist, Categorical):
        return CategoricalDistribution(list(dist.choices))
    raise ParameterError(f"not a pfnopt distribution: {dist!r}")


def _from_optuna(dist: Distribution, value: Any) -> Any:
    """Optuna's value in pfnopt's external form, snapped into ``dist`` if rounding moved it out."""
    if isinstance(dist, Categorical):
        return dist.choices[dist.index(value)]
    value = dist.to_external(dist.to_internal(value))
    return value if dist.contains(value) else dist.from_unit(dist.to_unit(value))


class OptunaSampler(BaseSampler):
    """Optuna's TPE (``kind="tpe"``) or GP (``kind="gp"``) sampler behind pfnopt's contract.

    Args:
        kind: ``"tpe"``, ``"gp"`` or ``"nsga2"``.
        n_startup: Sobol points before Optuna's sampler takes over (default
            ``min(max(5, 2d), 20)``, ``d`` the number of parameters); never fewer than 2.
        **optuna_kwargs: passed to ``TPESampler`` / ``GPSampler`` (not ``seed``,
            ``n_startup_trials`` or ``constraints_func``, which this class sets).

    Raises:
        MissingDependencyError: Optuna is not installed (``pip install 'pfnopt[optuna]'``).
    """

    def __init__(self, seed: int | None = None, kind: str = "tpe", n_startup: int | None = None, **optuna_kwargs: Any):
        super().__init__(seed)
        optuna = _import_optuna()
        if kind not in KINDS:
            raise ParameterError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if n_startup is not None and (isinstance(n_startup, bool) or not isinstance(n_startup, int) or n_startup < 0):
            raise ParameterError(f"n_startup must be a non-negative integer or None, got {n_startup!r}")
        bad = [k for k in optuna_kwargs if k in _RESERVED]
        if bad:
            raise ParameterError(
                f"OptunaSampler sets {', '.join(bad)} itself (seed=..., n_startup=...; constraints come "
                f"from the trials); remove {bad!r} from the keyword arguments"
            )
        self.kind, self.n_startup, self.optuna_kwargs = kind, n_startup, dict(optuna_kwargs)
        self._cls = {"tpe": optuna.samplers.TPESampler, "gp": optuna.samplers.GPSampler,
                     "nsga2": optuna.samplers.NSGAIISampler}[kind]
        # a genetic algorithm has no start-up count of its own: its first generation is random
        self._startup_kw = {} if kind == "nsga2" else {"n_startup_trials": 0}
        try:
            self._cls(seed=0, **self._startup_kw, **self.optuna_kwargs)  # fail now on a bad keyword
        except TypeError as e:
            raise ParameterError(f"optuna {self._cls.__name__} rejected the keyword arguments: {e}") from None
        self._sobol = SobolSampler(seed)

    def __repr__(self) -> str:
        return f"OptunaSampler(seed={self.seed!r}, kind={self.kind!r})"

    def sample(self, study: StudyView, trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        obs = collect(study, space, exclude_number=trial.number)
        n_startup = default_n_startup(len(space)) if self.n_startup is None else self.n_startup
        if len(space) == 0 or in_startup(obs.n, n_startup):
            return self._sobol.sample(study, trial, space)
        optuna = _import_optuna()
        sampler = self._cls(seed=call_seed(self.seed, trial.number, space), **self._startup_kw, **self.optuna_kwargs)
        _quiet.on = True
        try:
            mirror = optuna.create_study(
                storage=optuna.storages.InMemoryStorage(),
                sampler=sampler,
                directions=[d.name.lower() for d in study.directions],
            )
        finally:
            _quiet.on = False
        copies = [
            c
            for t in study.get_trials()
            if t.number != trial.number
            for c in [_copy(optuna, t, space, obs.m)]
            if c is not None
        ]
        mirror.add_trials(copies)
        asked = mirror.ask({name: to_optuna(dist) for name, dist in space.items()})
        self.record(optuna_sampler=type(sampler).__name__, n_mirrored=len(copies))
        generation = mirror.trials[-1].system_attrs.get(f"{type(sampler).__name__}:generation")
        if generation is not None:  # NSGA-II reads each trial's generation back from the mirror's copies
            self.record(**{_GENERATION: generation})
        return {name: _from_optuna(dist, asked.params[name]) for name, dist in space.items()}


def _copy(optuna, t: FrozenTrial, space: SearchSpace, m: int):
    """The Optuna twin of pfnopt trial ``t`` restricted to ``space`` (None: nothing to tell)."""
    from optuna.trial import TrialState as OTS

    params = {n: v for n, v in t.params.items() if n in space}
    if not all(space[n].contains(v) for n, v in params.items()):
        return None  # outside this space (the rule of observations.collect)
    dists = {n: to_optuna(space[n]) for n in params}
    kw: dict[str, Any] = {"params": params, "distributions": dists}
    generation = t.system_attrs.get(f"sampler:{_GENERATION}")
    if generation is not None:
        kw["system_attrs"] = {"NSGAIISampler:generation": generation}
    if m and t.state in (TrialState.COMPLETE, TrialState.PRUNED):
        cons = t.constraints if t.constraints is not None and len(t.constraints) == m else [0.0] * m
        kw["constraints"] = {str(i): float(c) for i, c in enumerate(cons)}
    if t.state == TrialState.COMPLETE and t.values is not None and np.all(np.isfinite(t.values)):
        kw.update(state=OTS.COMPLETE, values=[float(v) for v in t.values])
    elif t.state == TrialState.PRUNED:
        steps = {int(s): float(v) for s, v in t.intermediate_values.items() if np.isfinite(v)}
        kw.update(state=OTS.PRUNED, intermediate_values=steps)
    elif t.state == TrialState.FAIL and params:
        kw.update(state=OTS.FAIL)
    elif t.state == TrialState.RUNNING and params:
        kw.update(state=OTS.RUNNING)
    else:
        return None
    try:
        return optuna.trial.create_trial(**kw)
    except ValueError:  # a value Optuna's stricter checks refuse (e.g. a grid point off by rounding)
        return None
