"""PFNSampler: Bayesian optimisation with the pre-trained transformer, no model fitting.

Each suggestion:

1. Initial design: the first ``n_startup`` trials (default ``min(max(5, 2d), 20)``,
   :mod:`pfnopt.samplers.rules`) are the scrambled Sobol points of :class:`SobolSampler` for the
   same seed, so every method of a benchmark shares them. Nothing heavy runs in this phase: torch,
   the checkpoint and the acquisition code are loaded at the first model-based suggestion.
2. Data (:func:`pfnopt.samplers.observations.collect`): complete trials as unit-cube points,
   objective in minimisation form, constraint values. Failed trials are never values; candidates
   within ``FAILED_RADIUS`` of a failed point are excluded (:mod:`pfnopt.samplers.rules`).
   A study with several objectives is refused (:func:`~pfnopt.samplers.rules.require_single_objective`).
3. A local box around the incumbent (the best feasible trial, else the least violating one;
   :mod:`pfnopt.samplers.trust_region`): the context is the trials inside it, rescaled to the unit
   cube, and candidates are drawn in it; the box shrinks while the incumbent stalls and opens
   again after a long stall.
4. One PFN context for all outputs: columns ``[f, c_1, ..., c_m]`` (``cei``, ``cei+``) or the
   single penalised column of :mod:`pfnopt.samplers.penalty` (``penalty``), encoded once. For
   ``cei`` and ``cei+`` each column's least-squares plane (in the box's coordinates) is taken out and
   put back into the posterior (``trend="linear"``, :mod:`pfnopt.surrogate.trend`): the shipped
   model's predictive floor is then a share of the residual's spread, not of the output's (rule 4:
   median final gap better on 15 of 17 engineering problems for cei, 14 for cei+;
   ``benchmarks/samplers/rule_variants.md`` and the engineering report). ``penalty`` keeps no trend
   (rule 5): its penalised column has a kink at every constraint boundary, which a plane does not
   follow, and the trend made it worse on 13 of 17 problems.
5. Pending points (RUNNING trials of other workers, earlier asks of a batch) are added to the
   context with the posterior mean as their value (the "kriging believer" flavour of constant
   liar), so parallel workers are pushed apart without waiting for results.
6. The acquisition (:mod:`pfnopt.acquisition.constrained`) is maximised by
   :func:`pfnopt.acquisition.optimize.optimize_acquisition` (candidates, snapping, scoring, refinement and
   the exclusion of observed / failed points all in torch on the model's device) and decoded by the space.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from pfnopt.acquisition.choices import ACQUISITIONS, METHODS, check_combination  # noqa: F401 (names re-exported)
from pfnopt.devices import check_device, resolve_device
from pfnopt.exceptions import NotSupportedError, ParameterError
from pfnopt.records import FrozenTrial
from pfnopt.samplers.base import BaseSampler, check_constraints_func
from pfnopt.samplers.observations import Observations, collect
from pfnopt.samplers.penalty import penalised, penalty_growth
from pfnopt.samplers.pending import IgnorePending, KrigingBeliever
from pfnopt.samplers.rules import FAILED_RADIUS, default_n_startup, in_startup
from pfnopt.samplers.simple import SobolSampler
from pfnopt.samplers.trust_region import Region, TrustRegion, WholeCube, ranking
from pfnopt.samplers.warping import WARPS, OutputWarp
from pfnopt.space import SearchSpace
from pfnopt.study_view import StudyView

logger = logging.getLogger("pfnopt")

_DEFAULT = Path("surrogate") / "checkpoints" / "default"  # pfnopt.surrogate.pfn.DEFAULT_CHECKPOINT, torch-free
MO_ACQUISITIONS = ("auto", "ehvi", "parego")
TRENDS = ("none", "linear")  # pfnopt.surrogate.trend.TRENDS, named here so that importing the sampler stays torch-free


class PFNSampler(BaseSampler):
    """Constrained BO with the shipped PFN (or ``checkpoint``).

    Args:
        constraints: ``cei`` (default), ``cei+`` or ``penalty`` (see pfnopt.acquisition.constrained).
        acquisition: ``log_ei`` (default), ``pi`` or ``ucb`` (``ucb``, a bound in the objective's
            units, only without constraints or with ``penalty``; :mod:`pfnopt.acquisition.constrained`
            states each score's scale). ``ei`` is refused: ``log_ei`` has the same maximiser.
        n_startup: Sobol trials before the model is used (default ``min(max(5, 2d), 20)``).
        checkpoint: a checkpoint folder; default the shipped one.
        device: ``auto`` (default; or ``PFNOPT_DEVICE``), ``cpu``, ``cuda``.
        threshold: CEI+ feasibility threshold on ``prod_i P(c_i <= 0)`` (default 0.5; only with ``cei+``).
        beta: UCB exploration weight (default 2; only with ``ucb``).
        local: zoom into a box around the incumbent (:mod:`pfnopt.samplers.trust_region`);
            ``False`` conditions on every trial and searches the whole cube (``region=WholeCube()``).
        region: the region strategy, default ``TrustRegion()`` (its fields are its configuration).
        pending: what pending points do, default ``KrigingBeliever()`` (:mod:`pfnopt.samplers.pending`).
        optimizer: the acquisition optimiser's settings, an ``AcqOptions`` (older name: ``options``).
        mo_acquisition: for a study with several objectives: ``"ehvi"`` (two objectives; expected
            hypervolume improvement from ``n_mc`` draws of the bar distributions, times the probability of
            feasibility; ``constraints="cei"`` only), ``"parego"`` (any number; a random augmented Chebyshev
            scalarisation per trial, then the single-objective rule with any constraint method), or
            ``"auto"`` (default: ``ehvi`` for two objectives, ``parego`` for more).
        trend: ``"linear"`` or ``"none"``: the PFN's linear mean (:mod:`pfnopt.surrogate.trend`); default
            ``"linear"`` for ``cei`` / ``cei+`` and ``"none"`` for ``penalty`` (see step 4 above).
        warp: output warping of the modelled columns before the PFN sees them
            (:mod:`pfnopt.samplers.warping`): ``"none"`` (default), ``"constraints"`` (sign-preserving log
            of each constraint column) or ``"all"`` (the objective too); single-objective and ParEGO only
            (refused with ``mo_acquisition="ehvi"``, which reads the objectives as they are).
            Off by default: on the engineering suite it was worse on 6 of 8 problems (the module's docstring).
        constraints_func: Optuna's ``constraints_func(frozen_trial) -> sequence of floats``: ``Study.tell``
            calls it for each complete or pruned trial and stores what it returns as the trial's constraints.
        model: another surrogate in place of the PFN, with the same rule around it (box, acquisition, optimiser,
            pending points): an object with ``d_max`` and ``condition(X, Y, trend=, frame=)`` returning a context
            with ``posterior`` / ``posterior_unchecked``, e.g. :class:`pfnopt.samplers.gp_surrogate.FittedGP`
            (a GP refitted at every suggestion). Not with ``checkpoint``; scored on the CPU.
    """

    multi_objective = True  # several objectives: EHVI (2) or ParEGO (any number), see _suggest_multi
    # Changes whenever the suggestion rule changes, so benchmark results of an older rule are redone.
    # 6: the optimiser refines the top 8 candidates with 25 Adam steps (was 4 x 6); 7: the optimiser runs in
    # torch (same recipe, another random stream); 8: the Adam refinement keeps each start's best iterate and
    # stops once 3 steps in a row gained under 0.01 nats; 9: no early stop (rule 8's was worse on the suite),
    # the best iterate kept
    RULE_VERSION = 9

    def __init__(
        self,
        seed: int | None = None,
        constraints: str = "cei",
        acquisition: str = "log_ei",
        n_startup: int | None = None,
        checkpoint: str | None = None,
        device: str | None = None,
        threshold: float | None = None,
        beta: float | None = None,
        options: Any = None,
        local: bool = True,
        trend: str | None = None,
        region: TrustRegion | WholeCube | None = None,
        pending: KrigingBeliever | IgnorePending | None = None,
        optimizer: Any = None,
        mo_acquisition: str = "auto",
        n_mc: int = 32,
        constraints_func: Any = None,
        warp: str = "none",
        model: Any = None,
    ):
        super().__init__(seed)
        if model is not None:
            if checkpoint is not None:
                raise ParameterError("give checkpoint= (a PFN) or model= (another surrogate), not both")
            if not callable(getattr(model, "condition", None)) or not isinstance(getattr(model, "d_max", None), int):
                raise ParameterError(f"model={model!r} is not a surrogate: it needs an int d_max and condition(X, Y, "
                                     "trend=, frame=) (see pfnopt.samplers.gp_surrogate.FittedGP)")
            if device not in (None, "cpu"):
                raise NotSupportedError(f"model= is scored on the CPU; got device={device!r}")
            device = "cpu"
        self.constraints_func = check_constraints_func(constraints_func)
        check_combination(constraints, acquisition)
        # an option the chosen rule never reads is refused, not ignored
        if threshold is not None and constraints != "cei+":
            raise NotSupportedError(f"threshold applies to constraints='cei+' only, got constraints={constraints!r}")
        if beta is not None and acquisition != "ucb":
            raise NotSupportedError(f"beta applies to acquisition='ucb' only, got acquisition={acquisition!r}")
        threshold = 0.5 if threshold is None else threshold
        beta = 2.0 if beta is None else beta
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or not beta >= 0:
            raise ParameterError(f"beta must be a number >= 0, got {beta!r}")
        if n_startup is not None and (not isinstance(n_startup, int) or n_startup < 1):
            raise ParameterError(f"n_startup must be a positive integer, got {n_startup!r}")
        if trend is None:
            trend = "none" if constraints == "penalty" else "linear"
        if trend not in TRENDS:
            raise ParameterError(f"unknown trend {trend!r}; allowed: {', '.join(TRENDS)}")
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 < threshold <= 1.0:
            raise ParameterError(f"threshold must be in (0, 1], got {threshold!r}")
        self.method = constraints
        self.acquisition = acquisition
        self.n_startup = n_startup
        self.checkpoint = checkpoint
        self.device = check_device(device)
        self.threshold = threshold
        self.beta = beta
        if options is not None and optimizer is not None:
            raise ParameterError("give optimizer= or its older name options=, not both")
        if region is not None and not local:
            raise ParameterError("give region= or local=False, not both (local=False is region=WholeCube())")
        for name, value in (("region", region), ("pending", pending)):
            if value is not None and not callable(getattr(value, "choose" if name == "region" else "condition", None)):
                raise ParameterError(f"{name}={value!r} is not a {name} strategy (see pfnopt.samplers.{'trust_region' if name == 'region' else 'pending'})")
        self.region = region if region is not None else (TrustRegion() if local else WholeCube())
        self.pending = pending if pending is not None else KrigingBeliever()
        self._optimizer = optimizer if optimizer is not None else options
        self.local = not isinstance(self.region, WholeCube)
        if mo_acquisition not in MO_ACQUISITIONS:
            raise ParameterError(f"unknown mo_acquisition {mo_acquisition!r}; allowed: {', '.join(MO_ACQUISITIONS)}")
        if isinstance(n_mc, bool) or not isinstance(n_mc, int) or n_mc < 1:
            raise ParameterError(f"n_mc must be a positive integer (Monte Carlo draws of EHVI), got {n_mc!r}")
        self.mo_acquisition, self.n_mc = mo_acquisition, n_mc
        self.trend = trend
        if warp not in WARPS:
            raise ParameterError(f"unknown warp {warp!r}; allowed: {', '.join(WARPS)}")
        self.warp = warp
        self._startup = SobolSampler(seed)
        self._pfn = model
        self._d_max: int | None = None

    @property
    def pfn(self):
        """The loaded PFN (loaded once, on first use), or the ``model`` given instead."""
        if self._pfn is None:
            from pfnopt.surrogate import load_pfn

            self.device = resolve_device(self.device)
            self._pfn = load_pfn(self.checkpoint, device=self.device)
        return self._pfn

    @property
    def optimizer(self) -> Any:
        """The acquisition optimiser's settings (:class:`~pfnopt.acquisition.optimize.AcqOptions`)."""
        if self._optimizer is None:
            from pfnopt.acquisition.optimize import AcqOptions

            self._optimizer = AcqOptions(avoid_radius=FAILED_RADIUS)
        return self._optimizer

    @property
    def options(self) -> Any:  # the older name
        return self.optimizer

    @property
    def d_max(self) -> int:
        """The checkpoint's input limit, read from its ``config.json`` (no torch, no weights) until the model
        is loaded."""
        if self._pfn is not None:
            return self._pfn.d_max
        if self._d_max is None:
            folder = Path(self.checkpoint) if self.checkpoint else Path(__file__).resolve().parents[1] / _DEFAULT
            try:
                self._d_max = int(json.loads((folder / "config.json").read_text())["model"]["d_max"])
            except (OSError, ValueError, KeyError, TypeError):
                return self.pfn.d_max  # unreadable here: the real load raises the checkpoint's own error
        return self._d_max

    def _model_space(self, space: SearchSpace) -> SearchSpace:
        """One-hot categoricals unless that exceeds the PFN's input limit; then ordinal."""
        d_max = self.d_max
        if space.dim <= d_max:
            return space
        ordinal = SearchSpace(dict(space), encoding="ordinal")
        if ordinal.dim <= d_max:
            logger.info("PFNSampler: %d one-hot columns exceed the PFN's %d inputs; categoricals encoded ordinally",
                        space.dim, d_max)
            return ordinal
        raise ParameterError(
            f"the search space has {ordinal.dim} parameters but the PFN checkpoint accepts at most {d_max} inputs; "
            "use a smaller space or a sampler without this limit (sobol, optuna-tpe)"
        )

    def sample(self, study: StudyView, trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        n_objectives = len(study.directions)
        if n_objectives > 1:
            self._multi_kind(n_objectives)  # refuse an impossible combination before the start-up points
        n_startup = self.n_startup or default_n_startup(len(space))
        if len(space) == 0:
            return {}
        # neither the space check nor the start-up test needs torch or the weights: a space the PFN cannot
        # take is refused at the first trial, and start-up points cost what a Sobol point costs
        model_space = self._model_space(space)
        obs = collect(study, model_space, exclude_number=trial.number)
        if in_startup(obs.n, n_startup):
            return self._startup.sample(study, trial, space)
        if n_objectives > 1:
            return self._suggest_multi(obs, model_space, trial.number, n_startup, n_objectives)
        return self._suggest(obs, model_space, trial.number, n_startup)

    def _multi_kind(self, k: int) -> str:
        kind = self.mo_acquisition if self.mo_acquisition != "auto" else ("ehvi" if k == 2 else "parego")
        if kind == "ehvi" and k != 2:
            raise NotSupportedError(f"mo_acquisition='ehvi' handles 2 objectives, the study has {k}; use 'parego'")
        if kind == "ehvi" and self.warp != "none":
            raise NotSupportedError(
                f"warp={self.warp!r} warps the single-objective and ParEGO columns; mo_acquisition='ehvi' reads "
                "every objective as it is: use warp='none' or mo_acquisition='parego'"
            )
        if kind == "ehvi" and self.method != "cei":
            raise NotSupportedError(
                f"mo_acquisition='ehvi' weighs by the probability of feasibility (constraints='cei'); "
                f"constraints={self.method!r} needs mo_acquisition='parego'"
            )
        return kind

    def _suggest_multi(self, obs: Observations, space: SearchSpace, number: int, n_startup: int,
                       k: int) -> dict[str, Any]:
        """Several objectives: ParEGO (a scalarised column, then the single-objective rule) or EHVI."""
        import dataclasses

        from pfnopt.acquisition import multiobjective as mo

        if self._multi_kind(k) == "parego":
            weights = mo.simplex_weights(k, np.random.default_rng(None if self.seed is None else [self.seed, number, 1]))
            self.record(parego_weights=[float(w) for w in weights])
            y = mo.parego_scalarise(obs.Y, weights)  # the observed range, see mo.normalisation
            return self._suggest(dataclasses.replace(obs, y=y), space, number, n_startup)
        from pfnopt.acquisition.analytic import LogPoF
        from pfnopt.acquisition.optimize import optimize_acquisition

        feasible = obs.feasible
        lo, span = mo.normalisation(obs.Y, feasible)
        on_front = np.flatnonzero(feasible)[mo.pareto_mask(obs.Y[feasible])] if feasible.any() else np.zeros(0, int)
        region = WholeCube().choose(obs, space, 0, n_startup)  # a front has no single incumbent to zoom on
        Y = np.concatenate([obs.Y, obs.C], axis=1)
        ctx = self.pending.condition(self.pfn, self._frame(region), obs.X, Y, obs.X_running, self.trend)
        if obs.m and not feasible.any():  # find the feasible region first
            acq = LogPoF(ctx.posterior_unchecked, obs.m, start=k)
        else:
            front = obs.Y[on_front]
            if len(obs.X_running) and not isinstance(self.pending, IgnorePending):  # believed values join the front
                front = mo.believed_front(front, ctx.posterior(obs.X_running).mean, k)
            acq = mo.LogEHVI(ctx.posterior_unchecked, mo.normalise(front, lo, span), lo, span,
                             n_constraints=obs.m, n_samples=self.n_mc, seed=0 if self.seed is None else self.seed)
        centres = obs.X[on_front] if len(on_front) else obs.X[ranking(obs)[:5]]
        result = optimize_acquisition(
            acq, space, X_observed=np.concatenate([obs.X, obs.X_running]), centres=centres, X_avoid=obs.X_failed,
            options=self.optimizer,
            rng=np.random.default_rng(None if self.seed is None else [self.seed, number]), device=self.device,
        )
        self.record(acq_value=result.value, front_size=int(len(on_front)))
        return space.decode(result.x[None, :])[0]

    def _suggest(self, obs: Observations, space: SearchSpace, number: int, n_startup: int) -> dict[str, Any]:
        """Condition, build the acquisition, optimise, decode (the module docstring's steps 3-6)."""
        from pfnopt.acquisition.analytic import build_acquisition
        from pfnopt.acquisition.optimize import optimize_acquisition

        Y, best, m = self._targets(obs, n_startup)
        if self.warp != "none":  # monotone, sign-preserving: same order, feasible set and incumbent
            warp = OutputWarp.fit(Y, self.warp)
            Y, best = warp(Y), warp.objective(best)
        order = ranking(obs)  # best feasible first, then the least violating
        region = self.region.choose(obs, space, int(order[0]), n_startup)
        frame = self._frame(region)
        inside, running = region.frame.contains(obs.X), obs.X_running[region.frame.contains(obs.X_running)]
        ctx = self.pending.condition(self.pfn, frame, obs.X[inside], Y[inside], running, self.trend)
        acq = build_acquisition(ctx.posterior_unchecked, self.method, m, best, self.acquisition, self.beta,
                                self.threshold)
        result = optimize_acquisition(
            acq, space, X_observed=obs.X, centres=obs.X[order[:5]], X_avoid=obs.X_failed, options=self.optimizer,
            rng=np.random.default_rng(None if self.seed is None else [self.seed, number]), device=self.device,
            bounds=None if region.search is None else (region.search.lo, region.search.hi),
        )
        self._record(result, ctx, m, region)
        return space.decode(result.x[None, :])[0]

    def _targets(self, obs: Observations, n_startup: int) -> tuple[np.ndarray, float | None, int]:
        """``(Y, best, m)``: the modelled columns (``n x (1 + m)``), the incumbent in minimisation form (None
        while nothing is feasible) and the number of constraint columns the acquisition reads."""
        if self.method == "penalty" and obs.m:
            pen, rho = penalised(obs.y, obs.C, penalty_growth(obs, n_startup))
            self.record(penalty_rho=rho)
            best = float(pen[obs.feasible].min()) if obs.feasible.any() else float(pen.min())
            return pen[:, None], best, 0
        if obs.m:
            return np.concatenate([obs.y[:, None], obs.C], axis=1), obs.best_feasible(), obs.m
        return obs.y[:, None], float(obs.y.min()), 0

    @staticmethod
    def _frame(region: Region):
        from pfnopt.surrogate.pfn import Frame

        return Frame(region.frame.lo, region.frame.hi)

    def _record(self, result: Any, ctx: Any, m: int, region: Region) -> None:
        diag: dict[str, Any] = {"acq_value": result.value}
        if region.half_width is not None:
            diag["box_half_width"] = region.half_width
        if m:
            post = ctx.posterior(result.x[None, :])
            diag["prob_feasible"] = float(post.cdf(0.0)[0, 1 : 1 + m].prod())
        self.record(**diag)
