"""The penalty method's one rule, shared by the PFN and GP samplers (``pfn-penalty``, ``gp-penalty``).

The modelled output is ``y + rho * sum_i max(c_i, 0) / s_i``:

* ``s_i`` is the largest violation ``max(c_i, 0)`` observed (1 while there is none), so constraints
  in different units weigh alike (engineering constraints mix psi, inches and dollars);
* ``rho = g * (max(y) - min(y))``: the objective's observed range (1 if it is 0) times a growth
  factor ``g`` following Yu et al. (2024): 1 at first, times 1.5 after every 5 model-based
  trials without improvement of the best feasible value.

Both are recomputed from the trial history at every suggestion (no stored state, restart-safe).
The penalty is linear, so for ``rho`` above the constraints' Lagrange multipliers the penalised
minimum is the constrained one; the growth gets it there. This departs from the paper's
``rho * sum max(0, g_i)^2`` in raw units, which on the test toy never reached a feasible point
in 12 trials and is meaningless when constraints carry other units than the objective
(benchmarks/baselines/README.md).
"""

from __future__ import annotations

import numpy as np

from pfnopt.samplers.observations import Observations


def penalty_growth(obs: Observations, n_startup: int) -> float:
    """The growth factor ``g``: 1, times 1.5 per 5 model-based trials without improvement.

    Yu et al. (2024)'s rule; trials are taken in number order and the first ``n_startup`` are
    the initial design.
    """
    g, stall, best = 1.0, 0, None
    feasible = obs.feasible
    for i, idx in enumerate(np.argsort(obs.numbers)):
        improved = bool(feasible[idx]) and (best is None or obs.y[idx] < best)
        if improved:
            best = float(obs.y[idx])
        if i < n_startup:
            continue
        stall = 0 if improved else stall + 1
        if stall and stall % 5 == 0:
            g *= 1.5
    return g


def penalised(y: np.ndarray, C: np.ndarray, growth: float = 1.0) -> tuple[np.ndarray, float]:
    """``(y + rho * sum_i max(c_i, 0) / s_i, rho)`` with ``rho = growth * range(y)`` (module docstring)."""
    span = float(np.ptp(y)) if y.size else 0.0
    rho = growth * (span if span > 0 else 1.0)
    if C.shape[1] == 0:
        return y.copy(), rho
    violation = np.maximum(C, 0.0)
    scale = violation.max(axis=0) if violation.size else np.ones(C.shape[1])
    scale[scale <= 0] = 1.0
    return y + rho * (violation / scale).sum(axis=1), rho
