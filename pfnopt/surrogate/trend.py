"""A linear mean for the PFN: a least-squares trend taken out of the context and put back into the posterior.

Why: the shipped PFN was trained on noisy data (noise variance ~ LogNormal(-4.63, 0.5) around an outputscale
of ~2), so its predictive standard deviation stays at ~0.15 or more of the context's standard deviation (median
0.25 over the engineering problems), even at the context points themselves
(``benchmarks/pfn/engineering_fidelity.md``). Engineering objectives and constraints are noiseless and, over a
trust region, close to linear: a fitted GP's noise is ~0.02 of their spread. Subtracting the least-squares plane first leaves the PFN the residual, whose spread is
a fraction of the original, so the same relative floor is a fraction as wide in user units; the plane also
extrapolates each output along its slope, as a GP with a linear mean does. Adding the plane back is a shift
of each candidate's predictive distribution, exact on every statistic (mean, quantiles, EI, cdf).

The plane is fitted only when the context has at least ``2 (d + 1)`` points (twice its parameters), so the
residual still carries information; below that the context is used as it is.

Shapes: ``x`` ``n x d``, ``y`` ``n x m``; the trend is ``(x0, coef)`` with ``x0`` ``d`` (the context mean) and
``coef`` ``d x m``; ``shift(x)`` maps ``... x q x d`` to ``... x q x m``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

TRENDS = ("none", "linear")


@dataclass(frozen=True)
class LinearTrend:
    x0: Tensor  # d, float64
    coef: Tensor  # d x m, float64

    def shift(self, x: Tensor) -> Tensor:
        """``... x q x m`` trend values at ``x`` (``... x q x d``); differentiable in ``x``."""
        x0, coef = self.x0.to(x.device), self.coef.to(x.device)
        return (x.to(torch.float64) - x0) @ coef


def fit_linear_trend(x: Tensor, y: Tensor) -> LinearTrend | None:
    """The least-squares plane through ``(x, y)`` (``n x d``, ``n x m``), or None with fewer than ``2 (d + 1)``
    points. Rank-deficient designs (a column constant over the context) get the minimum-norm solution."""
    n, d = x.shape
    if n < 2 * (d + 1):
        return None
    x, y = x.to(torch.float64).cpu(), y.to(torch.float64).cpu()
    x0 = x.mean(dim=0)
    design = torch.cat([torch.ones(n, 1, dtype=torch.float64), x - x0], dim=1)  # n x (d + 1)
    # gelsd: SVD-based, so a rank-deficient design gives the minimum-norm plane instead of an error
    beta = torch.linalg.lstsq(design, y, driver="gelsd").solution  # (d + 1) x m
    return LinearTrend(x0, beta[1:])
