"""A fitted GP behind the PFN's conditioning interface, so that :class:`~pfnopt.samplers.pfn.PFNSampler` can run
its whole rule (local box, acquisition, optimiser, pending points) on another surrogate: ``PFNSampler(model=FittedGP())``.

Why: a swap of the surrogate alone is the cleanest measure of how much of the PFN sampler's gap to a GP-based
sampler is the surrogate and how much the rest of its rule (``benchmarks/pfn/ablation.py``, variants ``gp-swap``
and ``gp-swap-global``). A user gets a local-box GP BO (TuRBO-like) from the same object.

The interface the sampler reads (what :class:`pfnopt.surrogate.pfn.PFN` gives):

* ``d_max``: the largest input dimension;
* ``condition(X, Y, trend=..., frame=...)`` -> a context with ``posterior(X)`` (checked) and
  ``posterior_unchecked(X)`` (a differentiable ``... x q x d`` tensor -> ``... x q x m`` marginals with
  ``mean``, ``variance``, ``cdf``, ``log_ei``, ``columns``: :class:`~pfnopt.acquisition.gaussian.GaussianPosterior`).

The GP: BoTorch's ``SingleTaskGP`` per output (one batched multi-output model), the inputs read in the frame's unit
cube, outputs standardised, hyperparameters by MAP (:func:`pfnopt.samplers._botorch_fit.fit_model`, the ``gp-cei``
baseline's fit). ``trend`` is accepted and ignored: a GP's constant mean and fitted lengthscales need no plane
(the PFN's trend was a work-around for its predictive floor, :mod:`pfnopt.surrogate.trend`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pfnopt.exceptions import ParameterError


class FittedGPContext:
    """A GP fitted on one context; score candidates with :meth:`posterior` / :meth:`posterior_unchecked`."""

    def __init__(self, model: Any, frame: Any, d: int, m: int, fitted: bool):
        self.model, self.frame, self.d, self.m, self.fitted = model, frame, d, m, fitted

    def posterior_unchecked(self, X: Any) -> Any:
        """``... x q x d`` tensor of global unit-cube points -> Gaussian marginals ``... x q x m`` (differentiable)."""
        from pfnopt.acquisition.gaussian import GaussianPosterior
        from pfnopt.samplers._botorch_fit import DTYPE

        local = self.frame.to_local_t(X) if self.frame is not None else X
        post = self.model.posterior(local.to(DTYPE).unsqueeze(-2))  # ... x q x 1 x m
        mean, var = post.mean.squeeze(-2), post.variance.squeeze(-2)  # ... x q x m
        return GaussianPosterior(mean.to(X.dtype), var.to(X.dtype))  # the optimiser's dtype (float32 by default)

    def posterior(self, X: Any) -> Any:
        """The same for ``q x d`` points (numpy or torch), checked, without gradient."""
        import torch

        x = torch.as_tensor(np.asarray(X, dtype=np.float64))
        if x.dim() < 2 or x.shape[-1] != self.d:
            raise ParameterError(f"X must be ... x q x {self.d} (the context's inputs), got shape {tuple(x.shape)}")
        with torch.no_grad():
            return self.posterior_unchecked(x)


class FittedGP:
    """A GP refitted at every ``condition`` (MAP hyperparameters), the drop-in surrogate of ``PFNSampler(model=...)``.

    Args:
        d_max: the largest input dimension accepted (default 1,000: a GP has no architectural limit).
    """

    device = "cpu"

    def __init__(self, d_max: int = 1000):
        if isinstance(d_max, bool) or not isinstance(d_max, int) or d_max < 1:
            raise ParameterError(f"d_max must be a positive integer, got {d_max!r}")
        self.d_max = d_max

    def condition(self, X_ctx: Any, Y_ctx: Any, best_column: int = 0, trend: str | None = None,
                  frame: Any = None) -> FittedGPContext:
        """Fit on ``X_ctx`` (``n x d`` global unit cube, read in ``frame``) and ``Y_ctx`` (``n x m`` or ``n``)."""
        import torch

        from pfnopt.samplers._botorch_fit import DTYPE, blas_single_thread, fit_model

        X = np.asarray(X_ctx, dtype=np.float64)
        Y = np.asarray(Y_ctx, dtype=np.float64)
        Y = Y[:, None] if Y.ndim == 1 else Y
        if X.ndim != 2 or X.shape[0] < 1 or Y.shape[0] != X.shape[0]:
            raise ParameterError(f"X_ctx must be n x d and Y_ctx n x m with the same n >= 1, got {X.shape} and {Y.shape}")
        if not (np.isfinite(X).all() and np.isfinite(Y).all()):
            raise ParameterError("X_ctx and Y_ctx must be finite")
        local = frame.to_local(X) if frame is not None else X
        with blas_single_thread():
            model, fitted = fit_model(torch.as_tensor(local, dtype=DTYPE), torch.as_tensor(Y, dtype=DTYPE))
        return FittedGPContext(model, frame, X.shape[1], Y.shape[1], fitted)
