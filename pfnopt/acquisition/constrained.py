"""The three constraint methods by name, as one function: ``score(post, method, ...)``.

The acquisitions themselves are the objects of :mod:`pfnopt.acquisition.analytic` (built once per
suggestion by :func:`~pfnopt.acquisition.analytic.build_acquisition`); this module names what each
string option means and scores a posterior directly (benchmarks and tests use it).

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

from typing import Any

import torch

from pfnopt.acquisition.analytic import DISCARD, build_acquisition
from pfnopt.acquisition.choices import ACQUISITIONS, METHODS

__all__ = ["ACQUISITIONS", "DISCARD", "METHODS", "score"]


def score(
    post: Any,
    method: str,
    n_constraints: int,
    best: float | None,
    acquisition: str = "log_ei",
    beta: float = 2.0,
    threshold: float = 0.5,
) -> torch.Tensor:
    """The ``q`` score of a constraint method on ``post`` (``q x m``; see the module docstring for its scale)."""
    return build_acquisition(None, method, n_constraints, best, acquisition, beta, threshold).forward(post)
