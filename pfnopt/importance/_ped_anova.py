"""PED-ANOVA (Watanabe, Bansal & Hutter, IJCAI 2023): importance from Parzen estimators, no model fit.

A parameter matters if the trials that reach the top ``target_quantile`` of the target sit in a
different part of its range than the trials of the region they are compared with (the best
``region_quantile``, by default all trials). Per parameter, on its unit-interval coordinate::

    importance = int p_region(x) * (p_top(x) / p_region(x) - 1)^2 dx      (a Pearson divergence)

with ``p_top`` and ``p_region`` one-dimensional Parzen estimators (Gaussian kernels for numeric
parameters, smoothed frequencies for categoricals). With ``evaluate_on_local=False`` the uniform
distribution over the whole range replaces ``p_region``.
"""

from __future__ import annotations

import math

import numpy as np

from pfnopt.exceptions import ParameterError
from pfnopt.space import Categorical

GRID = 256  # midpoints of the unit interval on which numeric densities are integrated


def numeric_density(u: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Gaussian Parzen estimator of points ``u`` (n) in [0, 1], renormalised on [0, 1]: values at ``grid``."""
    n = len(u)
    h = max(1.06 * float(np.std(u)) * n ** (-0.2), 0.5 / max(n, 1), 0.02)  # Scott's rule with a floor
    dens = np.exp(-0.5 * ((grid[:, None] - u[None, :]) / h) ** 2).sum(axis=1)
    return dens / (dens.mean() + 1e-300)  # mean over equal cells = integral over [0, 1]


def categorical_density(u: np.ndarray, k: int) -> np.ndarray:
    """Choice frequencies of points ``u`` (their unit coordinates) with one pseudo-count per choice: ``k``."""
    idx = np.clip(np.floor(u * k).astype(int), 0, k - 1)
    counts = np.bincount(idx, minlength=k).astype(float) + 1.0
    return counts / counts.sum()


def pearson_divergence(p_top: np.ndarray, p_ref: np.ndarray, weights: np.ndarray) -> float:
    """``sum_i w_i p_ref_i (p_top_i / p_ref_i - 1)^2`` (``w`` the cell widths; 1 for categorical masses)."""
    return float(np.sum(weights * p_ref * (p_top / np.maximum(p_ref, 1e-300) - 1.0) ** 2))


def ped_anova(
    X: np.ndarray,
    y: np.ndarray,
    categorical_sizes: list[int | None],
    lower_is_better: bool,
    target_quantile: float,
    region_quantile: float,
    evaluate_on_local: bool,
) -> np.ndarray:
    """Importances (d) of the d columns of ``X`` (n x d unit coordinates) for target values ``y`` (n).

    ``categorical_sizes[j]`` is the number of choices of column j, or None for a numeric column.
    """
    order = np.argsort(y if lower_is_better else -y, kind="stable")
    n = len(y)
    n_top = max(math.ceil(target_quantile * n), 2)
    n_region = max(math.ceil(region_quantile * n), n_top)
    top, region = X[order[:n_top]], X[order[:n_region]]
    grid = (np.arange(GRID) + 0.5) / GRID
    out = np.zeros(X.shape[1])
    for j, k in enumerate(categorical_sizes):
        if k is None:
            p_top = numeric_density(top[:, j], grid)
            p_ref = numeric_density(region[:, j], grid) if evaluate_on_local else np.ones(GRID)
            out[j] = pearson_divergence(p_top, p_ref, np.full(GRID, 1.0 / GRID))
        else:
            p_top = categorical_density(top[:, j], k)
            p_ref = categorical_density(region[:, j], k) if evaluate_on_local else np.full(k, 1.0 / k)
            out[j] = pearson_divergence(p_top, p_ref, np.ones(k))
    return out


def check_quantiles(target_quantile: float, region_quantile: float) -> None:
    if not (isinstance(target_quantile, (int, float)) and 0.0 < target_quantile < 1.0):
        raise ParameterError(f"target_quantile must be in (0, 1), got {target_quantile!r}")
    if not (isinstance(region_quantile, (int, float)) and target_quantile < region_quantile <= 1.0):
        raise ParameterError(
            f"region_quantile must be in (target_quantile, 1] = ({target_quantile!r}, 1], got {region_quantile!r}"
        )


def sizes(distributions: dict) -> list[int | None]:
    return [len(d.choices) if isinstance(d, Categorical) else None for d in distributions.values()]
