"""Quantiles that tolerate +inf (a seed that never found a feasible point ranks last)."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation quantile; +inf when it interpolates towards an inf; NaN for no values."""
    xs = sorted(values)
    if not xs:
        return math.nan
    pos = q * (len(xs) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    if lo == hi or xs[hi] == xs[lo]:
        return xs[lo]
    if math.isinf(xs[hi]):
        return math.inf
    return xs[lo] + (pos - lo) * (xs[hi] - xs[lo])


def column_quantiles(A: np.ndarray, qs: Sequence[float] = (0.25, 0.5, 0.75)) -> list[np.ndarray]:
    """Per column of ``seeds x n`` (NaN read as +inf); results that are inf come back as NaN."""
    B = np.where(np.isnan(A), np.inf, np.asarray(A, dtype=float))
    out = []
    for q in qs:
        v = np.array([quantile(list(B[:, j]), q) for j in range(B.shape[1])])
        out.append(np.where(np.isfinite(v), v, np.nan))
    return out
