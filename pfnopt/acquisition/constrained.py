"""Acquisition values from a predictive posterior: EI family, and the three constraint methods.

Conventions: minimisation; the posterior has ``m`` output columns, column 0 the objective (or
the penalised objective), columns ``1..m-1`` the constraints (feasible iff value <= 0). Every
score is a ``q`` tensor, higher is better. Its scale is stated per acquisition (``acquisition=``):

* ``log_ei`` -- ``log E[max(best - y, 0)]`` in log user units, so products become sums and tiny
  improvements keep their gradient (the reason BoTorch made log-EI its default). Plain EI is not
  offered: it has the same maximiser and underflows to a flat zero far from ``best``.
* ``pi`` -- ``log P(y <= best)``.
* ``ucb`` -- ``-(mean - sqrt(beta) * stddev)``, the negated lower confidence bound of the objective, in
  the objective's own user units (NOT a log): it cannot be multiplied by a probability of
  feasibility, so it is refused with ``cei`` / ``cei+`` constraints.

Methods (``method=``):

* ``cei`` -- log EI of the objective below the best FEASIBLE value, plus ``sum_i log P(c_i <= 0)``.
  While nothing is feasible (``best=None``) only the feasibility term counts: the sampler looks
  for the feasible region first.
* ``cei+`` -- thresholded CEI. Each factor ``P(c_i <= 0)`` is boosted to ``min(1, 2 P)`` (a
  constraint that is satisfied with probability >= 1/2 no longer scales EI down, as in the PFN
  tutorial of Yu et al. 2024), and candidates whose joint probability of feasibility
  ``prod_i P(c_i <= 0)`` is below ``threshold`` (default 0.5) are discarded: they score
  ``DISCARD + log P``, below every kept candidate, ranked among themselves by feasibility so
  that when no candidate passes, the most probably feasible one is chosen.
* ``penalty`` -- one output, the penalised objective of :mod:`pfnopt.samplers.penalty` (built by
  the sampler); plain acquisition on column 0, no constraint columns.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from pfnopt.acquisition.choices import ACQUISITIONS, METHODS, check_combination
from pfnopt.exceptions import ParameterError

DISCARD = -1.0e4  # added to the log-score of discarded CEI+ candidates


def log_objective_acquisition(post: Any, acquisition: str, best: float, beta: float = 2.0) -> torch.Tensor:
    """``q`` acquisition of column 0 of ``post`` (minimisation, improvement below ``best``) on the scale the
    module docstring states for ``acquisition``."""
    post = post.columns(0, 1)  # only the objective: with a trend, each output's EI costs q x K
    if acquisition == "log_ei":
        return _col0(post.log_ei(best))
    if acquisition == "pi":
        return torch.log(_col0(post.pi(best)).clamp_min(1e-300))
    if acquisition == "ucb":
        # the optimistic (lower) bound for minimisation, negated so that higher is better; user units
        lcb = _col0(post.mean) - math.sqrt(beta) * _col0(post.variance).clamp_min(0).sqrt()
        return -lcb
    raise ParameterError(f"unknown acquisition {acquisition!r}; allowed: {', '.join(ACQUISITIONS)}")


def log_feasibility(post: Any, n_constraints: int, boost: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """``(sum_i log P_i, log prod_i P_i)`` over the constraint columns ``1..n_constraints`` (each ``q``).

    With ``boost`` each factor is ``min(1, 2 P_i)`` in the first sum (CEI+); the second is always
    the plain joint probability of feasibility.
    """
    cdf = post.columns(1, 1 + n_constraints).cdf(0.0).clamp(1e-300, 1.0)  # q x m_c (not the objective's)
    log_p = torch.log(cdf)
    plain = log_p.sum(-1)
    if boost:
        return torch.log((2.0 * cdf).clamp(max=1.0)).sum(-1), plain
    return plain, plain


def score(
    post: Any,
    method: str,
    n_constraints: int,
    best: float | None,
    acquisition: str = "log_ei",
    beta: float = 2.0,
    threshold: float = 0.5,
) -> torch.Tensor:
    """The ``q`` score of a constraint method (see the module docstring for its scale)."""
    check_combination(method, acquisition, n_constraints)
    if method == "penalty" or n_constraints == 0:
        if best is None:  # nothing observed that counts: pure exploration of the objective
            return _col0(post.variance).clamp_min(1e-30).log()
        return log_objective_acquisition(post, acquisition, best, beta)
    feas, log_pof = log_feasibility(post, n_constraints, boost=(method == "cei+"))
    value = feas if best is None else log_objective_acquisition(post, acquisition, best, beta) + feas
    if method == "cei+":
        keep = log_pof >= math.log(threshold)
        value = torch.where(keep, value, DISCARD + log_pof)
    return value


def _col0(t: torch.Tensor) -> torch.Tensor:
    return t[..., 0]
