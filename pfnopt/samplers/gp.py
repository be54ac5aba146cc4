"""The GP baselines, built from BoTorch's own models, acquisitions and ``optimize_acqf``.

``GPSampler(method=...)`` is what the registry names ``gp-ei``, ``gp-cei`` and ``gp-penalty``:

* ``ei``: one GP on the objective, log expected improvement over the best observed value. It
  ignores constraints (the unconstrained anchor).
* ``cei``: independent GPs over the objective and every constraint (one batched multi-output
  ``SingleTaskGP``: measured faster than a ``ModelListGP``, see ``benchmarks/baselines/README.md``),
  log-EI over the best FEASIBLE value plus ``sum_i log P(c_i <= 0)`` (BoTorch's
  ``LogConstrainedExpectedImprovement``); while nothing is feasible, the log probability of
  feasibility alone (``LogProbabilityOfFeasibility``). Without constraints it is ``ei``.
* ``penalty``: one GP on ``y + rho * sum_i max(c_i, 0) / s_i`` and log-EI on it, over the best
  penalised value of a feasible trial (of any trial while none is feasible). ``s_i`` is the
  largest violation ``max(c_i, 0)`` observed (1 while there is none), so constraints in
  different units weigh alike and the worst violation seen of each costs ``rho``. (The
  largest ``|c_i|`` instead let a far-feasible outlier soften the penalty: pressure_vessel.)
  ``rho = g * (max(y) - min(y))``: the objective's observed range (1 if it is 0) times a growth
  factor ``g`` that follows Yu et al. (2024), the rule of pfnopt's PFN ``penalty``: 1 at first,
  times 1.5 after every 5 model-based trials without improvement of the best feasible value.
  Both are recomputed from the trial history at every suggestion (no stored state). The
  penalty is linear (exact: for ``rho`` above the constraints' Lagrange multipliers the
  penalised minimum is the constrained one); the growth is what gets it there.

Why the analytic acquisitions: for one candidate at a time (``q = 1``) analytic LogEI/LogCEI are exact
(no MC noise, no sigmoid relaxation of the feasibility indicator) and the cheapest. They are the PFN
sampler's own objects (:mod:`pfnopt.acquisition.analytic`: ``LogEI``, ``LogCEI``, ``LogPoF``) on the GP's
Gaussian marginals (:class:`pfnopt.acquisition.gaussian.GPModel`), the same arithmetic as BoTorch's
``LogExpectedImprovement`` / ``LogConstrainedExpectedImprovement`` / ``LogProbabilityOfFeasibility``
(tested against them in ``tests/samplers/test_gp_shared_acquisition.py``), except far outside the feasible
region: the shared ``LogPoF`` floors each probability of feasibility at 1e-300 (log -690.8) where BoTorch's
``log_ndtr`` goes on. When other trials are
RUNNING, their points go in as ``X_pending`` to BoTorch's MC forms (``qLogExpectedImprovement`` with
``constraints``, ``qLogProbabilityOfFeasibility``), which condition on pending points jointly; the
shared objects score independent marginals and have no such form.

Before ``n_startup`` complete trials exist (default ``min(max(5, 2 * n_params), 20)``), points
come from :class:`~pfnopt.samplers.simple.SobolSampler` with the same seed, so every method of a
benchmark cell shares its initial design. The acquisition is optimised on the continuous
relaxation of the unit cube (multi-start L-BFGS-B, ``optimize_acqf``), then decoded through the
space (ints rounded, grids snapped, one-hot argmaxed); the best restart whose decoded point is
not a finished or running trial (nor within ``FAILED_RADIUS`` of a failed one) is returned.
Results are deterministic for a seed: every random draw (hyperparameter restarts, raw samples,
QMC samples) is seeded from ``(seed, trial.number, names)``.
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np

from pfnopt.exceptions import ParameterError
from pfnopt.records import FrozenTrial
from pfnopt.samplers.base import BaseSampler
from pfnopt.samplers.observations import Observations, collect
from pfnopt.samplers.penalty import penalised, penalty_growth
from pfnopt.samplers.rules import FAILED_RADIUS, call_seed, default_n_startup, in_startup, require_single_objective
from pfnopt.samplers.simple import SobolSampler, sobol_points
from pfnopt.space import SearchSpace
from pfnopt.study_view import StudyView

METHODS = ("ei", "cei", "penalty")
FIT_LAYOUT = "batched"  # batched multi-output SingleTaskGP: faster than ModelListGP (benchmarks/baselines)
_ACQ_NAMES = {
    ("logei", False): "LogEI",
    ("logcei", False): "LogCEI",
    ("logpof", False): "LogPoF",
    ("logei", True): "qLogEI",
    ("logcei", True): "qLogCEI",
    ("logpof", True): "qLogPoF",
}


class GPSampler(BaseSampler):
    """BoTorch GP baseline: ``method`` is ``"ei"``, ``"cei"`` or ``"penalty"`` (module docstring).

    Args:
        n_startup: Sobol points before the GP takes over (default ``min(max(5, 2d), 20)``,
            ``d`` the number of parameters); never fewer than 2.
        num_restarts, raw_samples: ``optimize_acqf``'s multi-start settings.
        layout: ``"batched"`` (one multi-output GP) or ``"list"`` (``ModelListGP``), for ``cei``.
    """

    def __init__(
        self,
        seed: int | None = None,
        method: str = "cei",
        n_startup: int | None = None,
        num_restarts: int = 10,
        raw_samples: int = 512,
        layout: str = FIT_LAYOUT,
    ):
        super().__init__(seed)
        if method not in METHODS:
            raise ParameterError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        if n_startup is not None and (isinstance(n_startup, bool) or not isinstance(n_startup, int) or n_startup < 0):
            raise ParameterError(f"n_startup must be a non-negative integer or None, got {n_startup!r}")
        for name, v in (("num_restarts", num_restarts), ("raw_samples", raw_samples)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ParameterError(f"{name} must be a positive integer, got {v!r}")
        if raw_samples < num_restarts:
            raise ParameterError(f"raw_samples ({raw_samples}) must be >= num_restarts ({num_restarts})")
        if layout not in ("batched", "list"):
            raise ParameterError(f"layout must be 'batched' or 'list', got {layout!r}")
        self.method, self.n_startup, self.layout = method, n_startup, layout
        self.num_restarts, self.raw_samples = num_restarts, raw_samples
        self._sobol = SobolSampler(seed)

    multi_objective = False

    def __repr__(self) -> str:
        return f"GPSampler(seed={self.seed!r}, method={self.method!r})"

    def sample(self, study: StudyView, trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        require_single_objective(study, f"gp-{self.method}")
        obs = collect(study, space, exclude_number=trial.number)
        usable = np.isfinite(obs.y) & np.all(np.isfinite(obs.C), axis=1)
        n_startup = default_n_startup(len(space)) if self.n_startup is None else self.n_startup
        if space.dim == 0 or in_startup(int(usable.sum()), n_startup):
            return self._sobol.sample(study, trial, space)
        import torch

        seed = call_seed(self.seed, trial.number, space)
        from pfnopt.samplers._botorch_fit import blas_single_thread

        with torch.random.fork_rng(devices=[]), blas_single_thread():
            if seed is not None:
                torch.manual_seed(seed)
            return self._propose(obs, usable, space, seed, n_startup)

    # the model-based step ---------------------------------------------------------------------
    def _targets(
        self, obs: Observations, usable: np.ndarray, n_startup: int
    ) -> tuple[np.ndarray, str, float | None, int]:
        """Model outputs ``Y`` (``n x k``, maximisation form), acquisition kind, ``best_f``, ``m``."""
        y, C = obs.y[usable], obs.C[usable]
        feasible = np.all(C <= 0.0, axis=1)
        if self.method == "penalty":
            pen, rho = penalised(y, C, penalty_growth(obs, n_startup))
            self.record(penalty_rho=rho)
            neg = -pen
            return neg[:, None], "logei", float(neg[feasible].max() if feasible.any() else neg.max()), 0
        if self.method == "ei" or C.shape[1] == 0:
            return -y[:, None], "logei", float((-y).max()), 0
        Y = np.column_stack([-y, C])
        if feasible.any():
            return Y, "logcei", float((-y[feasible]).max()), C.shape[1]
        return Y, "logpof", None, C.shape[1]

    def _propose(
        self, obs: Observations, usable: np.ndarray, space: SearchSpace, seed: int | None, n_startup: int
    ) -> dict[str, Any]:
        import torch

        from pfnopt.samplers import _botorch_fit as bf

        t0 = time.perf_counter()
        Y, kind, best_f, m = self._targets(obs, usable, n_startup)
        X = torch.as_tensor(obs.X[usable], dtype=bf.DTYPE)
        model, fitted = bf.fit_model(X, torch.as_tensor(Y, dtype=bf.DTYPE), self.layout)
        t_fit = time.perf_counter() - t0
        pending = torch.as_tensor(obs.X_running, dtype=bf.DTYPE) if obs.X_running.shape[0] else None
        if pending is None:  # the shared acquisition objects on the GP's Gaussian posterior
            acq = _shared_acquisition(model, kind, best_f, m)
        else:  # BoTorch's MC forms, which condition on the pending points jointly
            acq = bf.build_acquisition(model, kind, best_f, m, pending, seed)
        cands, values = bf.optimise(acq, space.dim, self.num_restarts, self.raw_samples, seed)
        taken = np.vstack([obs.X, obs.X_running])
        i = _first_new(space, cands.numpy(), taken, obs.X_failed)
        if i is None:  # every restart decodes to a known point: rank a Sobol set instead
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # Sobol balance: raw_samples need not be 2^k
                raw = torch.as_tensor(sobol_points(space.dim, 0, self.raw_samples, seed), dtype=bf.DTYPE)
            raw_values = bf.evaluate(acq, raw)
            order = torch.argsort(raw_values, descending=True)
            cands, values = torch.cat([cands, raw[order]]), torch.cat([values, raw_values[order]])
            i = _first_new(space, cands.numpy(), taken, obs.X_failed)
            i = 0 if i is None else i  # a fully enumerated discrete space: repeat the best
        U = space.round_trip(cands[i : i + 1].numpy())
        diag: dict[str, Any] = {
            "acquisition": _ACQ_NAMES[(kind, pending is not None)],
            "acq_value": float(values[i]),  # log-space (LogEI / LogCEI / LogPoF) at the relaxed point
            "n_observations": int(usable.sum()),
            "fit_seconds": round(t_fit, 4),
            "fit_ok": fitted,
        }
        if m:
            diag["prob_feasible"] = bf.prob_feasible(model, torch.as_tensor(U, dtype=bf.DTYPE), m)
        self.record(**diag)
        return space.decode(U)[0]


def _shared_acquisition(model: Any, kind: str, best_f: float | None, m: int) -> Any:
    """``kind``'s acquisition built from :mod:`pfnopt.acquisition` (the PFN sampler's objects) on the fitted GP,
    wrapped for ``optimize_acqf``. The model's column 0 is ``-y`` (maximisation); the objects read minimisation
    form, so ``best`` is ``-best_f``."""
    from pfnopt.acquisition.analytic import LogCEI, LogEI, LogPoF
    from pfnopt.acquisition.gaussian import GPModel, as_botorch

    gp = GPModel(model)
    if kind == "logei":
        acq = LogEI(gp, -best_f)
    elif kind == "logcei":
        acq = LogCEI(gp, LogEI(None, -best_f), m)
    elif kind == "logpof":
        acq = LogPoF(gp, m)
    else:
        raise ParameterError(f"unknown acquisition kind {kind!r}")
    return as_botorch(acq, model)


def _first_new(space: SearchSpace, cands: np.ndarray, taken: np.ndarray, failed: np.ndarray) -> int | None:
    """Index of the first candidate (``b x d``) whose decoded point is new, or None."""
    if cands.shape[0] == 0:
        return None
    snapped = space.snap(cands)  # vectorised round_trip
    for i, u in enumerate(snapped):
        if taken.shape[0] and np.any(np.all(np.abs(taken - u) <= 1e-9, axis=1)):
            continue
        if failed.shape[0] and np.any(np.max(np.abs(failed - u), axis=1) <= FAILED_RADIUS):
            continue
        return i
    return None
