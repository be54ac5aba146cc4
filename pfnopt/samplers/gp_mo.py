"""``gp-ehvi``: BoTorch's multi-objective baseline, qLogNEHVI on independent GPs, with constraints.

The model: one ``SingleTaskGP`` per output (objectives and constraints, the batched layout of
:mod:`pfnopt.samplers._botorch_fit`), fitted by MAP. The acquisition: BoTorch's
``qLogNoisyExpectedHypervolumeImprovement`` (Daulton et al. 2021, with the log-space smoothing of
Ament et al. 2023), on the objectives NEGATED (BoTorch maximises), with the reference point at the
worst observed value of each objective plus 10% of its range (BoTorch's usual heuristic when no
reference is given), the constraints as BoTorch's outcome constraints (feasible iff <= 0, as in
pfnopt), and RUNNING trials as ``X_pending``. Optimised by ``optimize_acqf`` (multi-start L-BFGS-B
over the unit cube, q = 1), decoded through the space like the single-objective GP baselines.

Start-up, seeding and failed points follow :mod:`pfnopt.samplers.rules`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pfnopt.exceptions import ParameterError
from pfnopt.records import FrozenTrial
from pfnopt.samplers.base import BaseSampler
from pfnopt.samplers.observations import collect
from pfnopt.samplers.rules import call_seed, default_n_startup, in_startup
from pfnopt.samplers.simple import SobolSampler
from pfnopt.space import SearchSpace
from pfnopt.study_view import StudyView


class GPEHVISampler(BaseSampler):
    """qLogNEHVI over independent GPs (module docstring); any number of objectives, with constraints.

    Args:
        n_startup: Sobol points before the GPs take over (default ``min(max(5, 2d), 20)``).
        num_restarts, raw_samples: ``optimize_acqf``'s multi-start settings.
        n_mc: quasi-Monte Carlo samples of the acquisition.
    """

    def __init__(self, seed: int | None = None, n_startup: int | None = None, num_restarts: int = 10,
                 raw_samples: int = 512, n_mc: int = 128):
        super().__init__(seed)
        for name, v in (("num_restarts", num_restarts), ("raw_samples", raw_samples), ("n_mc", n_mc)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ParameterError(f"{name} must be a positive integer, got {v!r}")
        if n_startup is not None and (isinstance(n_startup, bool) or not isinstance(n_startup, int) or n_startup < 0):
            raise ParameterError(f"n_startup must be a non-negative integer or None, got {n_startup!r}")
        self.n_startup, self.num_restarts, self.raw_samples, self.n_mc = n_startup, num_restarts, raw_samples, n_mc
        self._sobol = SobolSampler(seed)

    def __repr__(self) -> str:
        return f"GPEHVISampler(seed={self.seed!r})"

    def sample(self, study: StudyView, trial: FrozenTrial, space: SearchSpace) -> dict[str, Any]:
        obs = collect(study, space, exclude_number=trial.number)
        n_startup = default_n_startup(len(space)) if self.n_startup is None else self.n_startup
        if space.dim == 0 or in_startup(obs.n, n_startup):
            return self._sobol.sample(study, trial, space)
        import torch

        from pfnopt.samplers import _botorch_fit as bf

        seed = call_seed(self.seed, trial.number, space)
        with torch.random.fork_rng(devices=[]), bf.blas_single_thread():
            if seed is not None:
                torch.manual_seed(seed)
            U = self._propose(obs, space, seed)
        return space.decode(space.round_trip(U[None, :]))[0]

    def _propose(self, obs: Any, space: SearchSpace, seed: int | None) -> np.ndarray:
        import torch
        from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
        from botorch.sampling import SobolQMCNormalSampler

        from pfnopt.samplers import _botorch_fit as bf

        k, m = obs.Y.shape[1], obs.m
        Y = np.concatenate([-obs.Y, obs.C], axis=1)  # objectives maximised, constraints as they are
        X = torch.as_tensor(obs.X, dtype=bf.DTYPE)
        model, fitted = bf.fit_model(X, torch.as_tensor(Y, dtype=bf.DTYPE), "batched")
        worst, best = (-obs.Y).min(axis=0), (-obs.Y).max(axis=0)
        ref = torch.as_tensor(worst - 0.1 * np.maximum(best - worst, 1e-9), dtype=bf.DTYPE)
        constraints = [(lambda Z, i=i: Z[..., k + i]) for i in range(m)]
        pending = torch.as_tensor(obs.X_running, dtype=bf.DTYPE) if len(obs.X_running) else None
        acq = qLogNoisyExpectedHypervolumeImprovement(
            model=model, ref_point=ref.tolist(), X_baseline=X, prune_baseline=True,
            sampler=SobolQMCNormalSampler(sample_shape=torch.Size([self.n_mc]), seed=seed),
            objective=_first_columns(k), constraints=constraints or None, X_pending=pending,
        )
        cands, values = bf.optimise(acq, space.dim, self.num_restarts, self.raw_samples, seed)
        self.record(acq_value=float(values[0]), fit_ok=fitted)
        return cands[0].numpy()


def _first_columns(k: int):
    from botorch.acquisition.multi_objective.objective import IdentityMCMultiOutputObjective

    return IdentityMCMultiOutputObjective(outcomes=list(range(k)))
