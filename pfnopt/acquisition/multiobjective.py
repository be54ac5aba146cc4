"""Multi-objective acquisition on bar-distribution posteriors: Pareto fronts, hypervolume, EHVI, ParEGO.

Conventions: minimisation of ``k`` objectives, already NORMALISED by the sampler (each objective mapped
by its observed range to about ``[0, 1]``; the reference point is ``REF = 1.1`` in every objective, so a
point on an edge of the observed range still adds volume). Shapes: ``n`` points, ``k`` objectives, ``q``
candidates, ``S`` Monte Carlo samples, ``K`` buckets.

* :class:`LogEHVI` -- ``log E[HVI(y)]`` for two objectives, the expectation over ``S`` quasi-random draws
  from each objective's bar distribution (objectives independent given the context, as the PFN predicts
  marginals), the hypervolume improvement of each draw over the current front exact (a staircase sum).
  The draws are reparametrised (``y = F^{-1}(u)`` with fixed ``u``), so the estimate is a deterministic,
  differentiable function of the candidate and the optimiser's gradient steps apply. Plus
  ``sum_i log P(c_i <= 0)`` of the constraint columns.
* :func:`parego_scalarise` -- ParEGO's augmented Chebyshev scalarisation ``max_j w_j y_j + rho sum_j w_j
  y_j`` with a random weight vector per suggestion: the cheap option for any ``k`` (the single-objective
  machinery then runs on one column).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from pfnopt.acquisition.analytic import Acquisition, LogPoF, Model, PosteriorLike

REF = 1.1  # reference point in normalised units, every objective
PAREGO_RHO = 0.05  # weight of the linear term of the augmented Chebyshev scalarisation


# --- Pareto fronts and hypervolume (numpy; small n) -------------------------------------------------------------
def pareto_mask(Y: np.ndarray) -> np.ndarray:
    """Mask (``n``) of the non-dominated rows of ``Y`` (``n x k``, minimisation); duplicates all kept."""
    n = len(Y)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        if keep[i]:
            dominated = np.all(Y[i] <= Y, axis=1) & np.any(Y[i] < Y, axis=1)
            keep &= ~dominated
    return keep


def hypervolume(Y: np.ndarray, ref: np.ndarray) -> float:
    """Volume dominated by the rows of ``Y`` (``n x k``, minimisation) and bounded by ``ref`` (``k``).

    Exact: a sweep over the last objective, recursing on the rest (fine for the fronts of a benchmark:
    tens of points, ``k <= 4``)."""
    Y = np.asarray(Y, dtype=float)
    ref = np.asarray(ref, dtype=float)
    Y = Y[np.all(Y < ref, axis=1)]
    if not len(Y):
        return 0.0
    Y = Y[pareto_mask(Y)]
    k = Y.shape[1]
    if k == 1:
        return float(ref[0] - Y[:, 0].min())
    if k == 2:
        order = np.argsort(Y[:, 0])
        x, y = Y[order, 0], np.minimum.accumulate(Y[order, 1])
        right = np.append(x[1:], ref[0])
        return float(np.sum((right - x) * (ref[1] - y)))
    order = np.argsort(Y[:, -1])
    Y = Y[order]
    total = 0.0
    for i in range(len(Y)):
        top = Y[i + 1, -1] if i + 1 < len(Y) else ref[-1]
        if top > Y[i, -1]:
            total += (top - Y[i, -1]) * hypervolume(Y[: i + 1, :-1], ref[:-1])
    return total


def normalise(Y: np.ndarray, lo: np.ndarray, span: np.ndarray) -> np.ndarray:
    return (Y - lo) / span


def objective_bounds(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, span)`` (``k`` each) of the observed objectives, span 1 where an objective is constant."""
    lo, hi = Y.min(axis=0), Y.max(axis=0)
    span = hi - lo
    return lo, np.where(span > 0, span, 1.0)


NORMALISATIONS = ("observed", "front")


def normalisation(Y: np.ndarray, feasible: np.ndarray | None = None, rule: str = "observed"
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, span)`` (``k`` each) that map the objectives ``Y`` (``n x k``) to the acquisition's units.

    ``"observed"`` (default): the whole observed range, so the reference point ``REF = 1.1`` sits 10% beyond
    the worst observed value (Optuna's and BoTorch's usual rule). ``"front"``: from the ideal to the nadir of
    the feasible Pareto front (every row when none is feasible; BoTorch's ``infer_reference_point``), which
    values the front's extremes less. Measured (3 seeds, ``benchmarks/multiobjective/results/notes.md``):
    ``"front"`` halves EHVI's regret on branin_currin, whose observed range (Branin up to 300) dwarfs its
    front (below 20), but multiplies it by 15-60 on zdt1_4d, whose benchmark reference point lies far
    beyond the front; so the default stays ``"observed"``. ParEGO uses ``"observed"`` too (with the front's
    span the outliers' scalarised values reach tens of units and the PFN's fit of that column fails).
    A zero span of the front (one member) falls back to the observed span."""
    if rule not in NORMALISATIONS:
        from pfnopt.exceptions import ParameterError

        raise ParameterError(f"unknown normalisation {rule!r}; allowed: {', '.join(NORMALISATIONS)}")
    lo_all, span_all = objective_bounds(Y)
    if rule == "observed":
        return lo_all, span_all
    rows = Y if feasible is None or not np.any(feasible) else Y[np.asarray(feasible, dtype=bool)]
    front = rows[pareto_mask(rows)]
    lo, span = front.min(axis=0), front.max(axis=0) - front.min(axis=0)
    return lo, np.where(span > 0, span, span_all)


def parego_scalarise(Y: np.ndarray, weights: np.ndarray, rho: float = PAREGO_RHO,
                     bounds: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """ParEGO's value (``n``) of each row of ``Y`` (``n x k``, minimisation), normalised first by ``bounds``
    (``(lo, span)``, default the observed range, :func:`normalisation`); ``weights`` (``k``) on the simplex."""
    lo, span = objective_bounds(Y) if bounds is None else bounds
    Z = normalise(Y, lo, span) * weights
    return Z.max(axis=1) + rho * Z.sum(axis=1)


def simplex_weights(k: int, rng: np.random.Generator) -> np.ndarray:
    """A uniform draw from the ``k``-simplex (``k``)."""
    w = rng.exponential(size=k)
    return w / w.sum()


def believed_front(front: np.ndarray, believed: np.ndarray, k: int) -> np.ndarray:
    """The front (``p x k``, user units) with the pending points' believed values added: ``believed`` is
    ``r x (k + m)`` (objectives, then constraints; the posterior mean at the pending points), a row counted
    when its believed constraints are all ``<= 0``. Returns the non-dominated rows (``p' x k``), so that the
    hypervolume improvement near a pending point is about zero and a batch spreads along the front."""
    believed = np.asarray(believed, dtype=float).reshape(len(believed), -1)
    ok = np.all(believed[:, k:] <= 0.0, axis=1)
    rows = np.concatenate([np.asarray(front, dtype=float).reshape(-1, k), believed[ok, :k]])
    return rows[pareto_mask(rows)] if len(rows) else rows


# --- sampling the bar distributions ------------------------------------------------------------------------------
def bar_samples(post: PosteriorLike, u: Tensor) -> Tensor:
    """Reparametrised draws ``F_j^{-1}(u_s)`` of every candidate and output: ``q x m x S`` in user units.

    ``u`` (``S``) in (0, 1); the bars' inner buckets are uniform, the two tail buckets half-normal (the
    bar distribution's own form, :mod:`pfnopt.surrogate.bar`). Differentiable in the logits."""
    from pfnopt.surrogate import bar

    if post.borders.dim() != 1:
        from pfnopt.exceptions import NotSupportedError

        raise NotSupportedError("EHVI needs the model's shared borders (no per-output power transform)")
    p = post.probs  # q x m x K
    K = p.shape[-1]
    cum = torch.cumsum(p, dim=-1)
    uu = u.to(p.dtype).expand(*p.shape[:-1], u.shape[-1]).contiguous()  # q x m x S
    idx = torch.searchsorted(cum.contiguous(), uu).clamp(0, K - 1)
    pk = torch.gather(p, -1, idx)
    before = torch.gather(cum, -1, idx) - pk
    w = ((uu - before) / pk.clamp_min(1e-30)).clamp(1e-12, 1.0 - 1e-12)
    b = post.borders.to(p.dtype)
    lo, hi = b[idx], b[idx + 1]
    inner = lo + w * (hi - lo)
    s_left, s_right = bar._tail_scales(b)
    left = b[1] + s_left * torch.special.ndtri(w / 2.0)
    right = b[-2] + s_right * torch.special.ndtri((1.0 + w) / 2.0)
    z = torch.where(idx == 0, left, torch.where(idx == K - 1, right, inner))
    return post.loc[..., None] + post.scale[..., None] * z.double()


def staircase(front: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 2-d front's complement as vertical strips: ``(left, right, height)`` (``p + 1`` each), the front's
    attainment height on ``[left, right)``, so that ``HVI(a, b) = sum max(0, min(right, REF) - max(left, a))
    * max(0, height - b)``."""
    if not len(front):
        return np.array([-np.inf]), np.array([REF]), np.array([REF])
    f = front[np.argsort(front[:, 0])]
    heights = np.minimum.accumulate(f[:, 1])
    left = np.concatenate([[-np.inf], f[:, 0]])
    right = np.concatenate([f[:, 0], [REF]])
    height = np.minimum(np.concatenate([[REF], heights]), REF)
    return left, right, height


class LogEHVI(Acquisition):
    """``log E[HVI]`` of two normalised objectives (columns 0, 1) plus ``sum_i log P(c_i <= 0)`` (columns
    ``2 .. 2 + n_constraints``); see the module docstring.

    Args:
        front: ``p x 2`` normalised Pareto front of the feasible observations (may be empty).
        lo, span: ``2`` each, the normalisation ``(y - lo) / span`` of the objectives' user units.
        n_samples: ``S`` quasi-random draws per objective (a shifted regular grid, paired across objectives
            by two different scramblings so the pairs fill the unit square).
    """

    def __init__(self, model: Model | None, front: np.ndarray, lo: np.ndarray, span: np.ndarray,
                 n_constraints: int = 0, n_samples: int = 32, seed: int = 0):
        super().__init__(model)
        left, right, height = staircase(np.asarray(front, dtype=float).reshape(-1, 2))
        self._strips = [torch.as_tensor(v) for v in (left, right, height)]
        self.lo, self.span = torch.as_tensor(lo, dtype=torch.float64), torch.as_tensor(span, dtype=torch.float64)
        rng = np.random.default_rng(seed)
        grid = (np.arange(n_samples) + 0.5) / n_samples
        self.u = torch.as_tensor(np.stack([rng.permutation(grid), rng.permutation(grid)]))  # 2 x S
        self.feasibility = LogPoF(None, n_constraints, start=2) if n_constraints else None

    def forward(self, post: PosteriorLike) -> Tensor:
        dev = post.logits.device
        left, right, height = (t.to(dev) for t in self._strips)
        obj = post.columns(0, 2)
        ys = torch.stack([bar_samples(obj.columns(j, j + 1), self.u[j].to(dev))[..., 0, :] for j in range(2)], -1)
        ys = (ys - self.lo.to(dev)) / self.span.to(dev)  # q x S x 2, normalised
        a, b = ys[..., 0, None], ys[..., 1, None]  # q x S x 1
        width = (torch.minimum(right, torch.tensor(REF, device=dev)) - torch.maximum(left, a)).clamp_min(0.0)
        hvi = (width * (height - b).clamp_min(0.0)).sum(-1)  # q x S
        value = torch.log(hvi.mean(-1).clamp_min(1e-30))
        if self.feasibility is not None:
            value = value + self.feasibility.forward(post).double()
        return value.to(post.logits.dtype if post.logits.is_floating_point() else torch.float32)
