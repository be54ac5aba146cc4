"""Acquisition functions as objects: built once per suggestion, then called on candidate batches.

Each takes a *model*, any callable from candidates ``X`` (``q x D`` torch, the unit cube of the search
space) to a posterior satisfying :class:`PosteriorLike` (pfnopt's bar-distribution
:class:`~pfnopt.surrogate.Posterior`, or any other with the same five members), and returns ``q``
scores, higher is better. :meth:`Acquisition.forward` scores a posterior directly, so every
acquisition is tested on small hand-made posteriors (``tests/acquisition``).

Conventions: minimisation; output column 0 is the objective (or the penalised objective), columns
``1..n_constraints`` the constraints (feasible iff value <= 0). Scales:

* :class:`LogEI`, :class:`LogPI`, :class:`LogPoF`, :class:`LogCEI`, :class:`LogCEIPlus`,
  :class:`LogVariance` -- natural log of a non-negative quantity (user units inside the log);
* :class:`UCB` -- ``-(mean - sqrt(beta) * stddev)`` of the objective, in the objective's user units
  (not a log: it is never added to a log-probability).

"Penalised LogEI" is :class:`LogEI` on a model whose column 0 is the penalised objective of
:mod:`pfnopt.samplers.penalty`; it needs no class of its own.
"""

from __future__ import annotations

import abc
import math
from typing import Callable, Protocol

import torch
from torch import Tensor

DISCARD = -1.0e4  # added to the log-score of candidates CEI+ discards (below every kept one)


class PosteriorLike(Protocol):
    """What an acquisition reads from a posterior over ``q`` candidates and ``m`` outputs."""

    @property
    def mean(self) -> Tensor: ...  # q x m

    @property
    def variance(self) -> Tensor: ...  # q x m

    def cdf(self, v: float) -> Tensor: ...  # q x m, P(y <= v)

    def log_ei(self, best: float) -> Tensor: ...  # q x m, log E[max(best - y, 0)]

    def columns(self, start: int, stop: int) -> PosteriorLike: ...  # outputs start .. stop - 1


Model = Callable[[Tensor], PosteriorLike]


class Acquisition(abc.ABC):
    """``acq(X)``: ``q x D`` candidates -> ``q`` scores (differentiable when the model is)."""

    def __init__(self, model: Model | None = None):
        self.model = model

    def __call__(self, X: Tensor) -> Tensor:
        if self.model is None:
            raise TypeError(f"{type(self).__name__} was built without a model; score a posterior with .forward(post)")
        return self.forward(self.model(X))

    @abc.abstractmethod
    def forward(self, post: PosteriorLike) -> Tensor:
        """``q`` scores of the candidates ``post`` describes."""


class LogEI(Acquisition):
    """``log E[max(best - y_0, 0)]`` of the objective (column 0)."""

    def __init__(self, model: Model | None, best: float):
        super().__init__(model)
        self.best = best

    def forward(self, post: PosteriorLike) -> Tensor:
        # only the objective's column: with a trend each output's EI costs q x K
        return post.columns(0, 1).log_ei(self.best)[..., 0]


class LogPI(Acquisition):
    """``log P(y_0 <= best)``."""

    def __init__(self, model: Model | None, best: float):
        super().__init__(model)
        self.best = best

    def forward(self, post: PosteriorLike) -> Tensor:
        return torch.log(post.columns(0, 1).cdf(self.best)[..., 0].clamp_min(1e-300))


class UCB(Acquisition):
    """``-(mean_0 - sqrt(beta) * stddev_0)``: the negated optimistic bound, user units (minimisation)."""

    def __init__(self, model: Model | None, beta: float = 2.0):
        super().__init__(model)
        self.beta = beta

    def forward(self, post: PosteriorLike) -> Tensor:
        post = post.columns(0, 1)
        lcb = post.mean[..., 0] - math.sqrt(self.beta) * post.variance[..., 0].clamp_min(0).sqrt()
        return -lcb


class LogVariance(Acquisition):
    """``log Var[y_0]``: pure exploration, when there is no incumbent to improve on."""

    def forward(self, post: PosteriorLike) -> Tensor:
        return post.variance[..., 0].clamp_min(1e-30).log()


class LogPoF(Acquisition):
    """``sum_i log P(c_i <= 0)`` over the constraint columns ``start .. start + n_constraints - 1`` (default
    ``start=1``: after the one objective).

    With ``boost`` each factor is ``min(1, 2 P_i)`` (the CEI+ rule). :meth:`both` returns the boosted
    and the plain sum from one cdf evaluation.
    """

    def __init__(self, model: Model | None, n_constraints: int, boost: bool = False, start: int = 1):
        super().__init__(model)
        self.n_constraints, self.boost, self.start = n_constraints, boost, start

    def both(self, post: PosteriorLike) -> tuple[Tensor, Tensor]:
        """``(score, log prod_i P_i)``, each ``q``."""
        cdf = post.columns(self.start, self.start + self.n_constraints).cdf(0.0).clamp(1e-300, 1.0)  # q x m_c (not the objective's)
        plain = torch.log(cdf).sum(-1)
        if self.boost:
            return torch.log((2.0 * cdf).clamp(max=1.0)).sum(-1), plain
        return plain, plain

    def forward(self, post: PosteriorLike) -> Tensor:
        return self.both(post)[0]


class LogCEI(Acquisition):
    """Constrained EI in log space: ``objective(post) + sum_i log P(c_i <= 0)``; the feasibility term alone
    while nothing is feasible (``objective=None``), so the search looks for the feasible region first."""

    def __init__(self, model: Model | None, objective: Acquisition | None, n_constraints: int):
        super().__init__(model)
        self.objective = objective
        self.feasibility = LogPoF(None, n_constraints)

    def forward(self, post: PosteriorLike) -> Tensor:
        feas = self.feasibility.forward(post)
        return feas if self.objective is None else self.objective.forward(post) + feas


class LogCEIPlus(Acquisition):
    """Thresholded CEI (CEI+): factors boosted to ``min(1, 2 P_i)``; candidates whose joint probability of
    feasibility is below ``threshold`` score ``DISCARD + log P`` (ranked among themselves by feasibility, so
    the most probably feasible wins when none passes)."""

    def __init__(self, model: Model | None, objective: Acquisition | None, n_constraints: int,
                 threshold: float = 0.5):
        super().__init__(model)
        self.objective = objective
        self.feasibility = LogPoF(None, n_constraints, boost=True)
        self.log_threshold = math.log(threshold)

    def forward(self, post: PosteriorLike) -> Tensor:
        feas, log_pof = self.feasibility.both(post)
        value = feas if self.objective is None else self.objective.forward(post) + feas
        return torch.where(log_pof >= self.log_threshold, value, DISCARD + log_pof)


def build_acquisition(
    model: Model | None,
    method: str,
    n_constraints: int,
    best: float | None,
    acquisition: str = "log_ei",
    beta: float = 2.0,
    threshold: float = 0.5,
) -> Acquisition:
    """The acquisition of a constraint ``method`` (``cei``, ``cei+``, ``penalty``) with the objective score
    ``acquisition`` (``log_ei``, ``pi``, ``ucb``); ``best`` the incumbent (minimisation form) or None."""
    from pfnopt.acquisition.choices import check_combination

    check_combination(method, acquisition, n_constraints)

    def objective() -> Acquisition:
        if acquisition == "log_ei":
            return LogEI(model, best)
        if acquisition == "pi":
            return LogPI(model, best)
        return UCB(model, beta)

    if method == "penalty" or n_constraints == 0:
        return LogVariance(model) if best is None else objective()
    obj = None if best is None else objective()
    if method == "cei+":
        return LogCEIPlus(model, obj, n_constraints, threshold)
    return LogCEI(model, obj, n_constraints)
