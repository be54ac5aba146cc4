"""Engineering-like functions: posynomials of the inputs and their ratios, with large dynamic ranges.

Why: the engineering suite's objectives and constraints are costs, volumes, stresses and deflections, i.e.
sums of monomials ``c * prod_j z_j^a_j`` of physical quantities that span one to three decades each (a GP in
log-log space), and constraints are ratios of such terms minus one. Their outputs span 1e3-1e6 over the box,
far from a stationary GP (v1's out-of-prior NLL: 2.5 nats against 0.6 for a fitted GP at n = 60).

A draw (one data set):

- each used input ``x_j`` in ``[0, 1]`` maps to a physical value ``z_j = exp(lo_j + x_j * w_j)``, the span
  ``w_j = ln 10 * U(0.2, 2)`` (a factor 1.6 to 100 over the box);
- ``T`` uniform in ``1..max_terms`` monomials, each on 1-3 of the relevant inputs, exponents from
  ``EXPONENTS`` (signed: a term may fall as an input grows, like a stress with a thickness), coefficient
  ``10^U(-2, 2)``; ``f = sum_t c_t prod_j z_j^a_tj``;
- with probability ``p_ratio`` the output is a constraint ``f / f' - 1`` with ``f'`` a second posynomial
  (a stress over an allowed stress), else the posynomial itself; with probability ``p_log`` a smooth
  multiplicative perturbation ``exp(0.3 g(x))`` (``g`` random Fourier features) makes it not exactly a
  posynomial; with probability ``p_negate`` the sign flips (maximising a posynomial);
- noise: deterministic in a share ``p_deterministic`` (variance ``10^U(-8, -4)`` of the output's variance),
  else LogNormal(-4.63, 0.5) relative variance as the other priors.

There is no closed-form predictive here, so training uses the sampled targets (``base.nan_targets``).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from pfnopt.surrogate.priors.base import (
    Batch,
    Prior,
    design,
    draw_d,
    make_bo_like,
    nan_targets,
    nonzero_options,
    place_near_context,
    relevance_mask,
    uniform,
)

EXPONENTS = (-2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0)


class PosynomialPrior(Prior):
    name = "posynomial"

    def __init__(
        self,
        p_clustered: float = 0.3,
        p_irrelevant: float = 0.2,
        max_terms: int = 4,
        p_ratio: float = 0.4,
        p_log: float = 0.3,
        p_negate: float = 0.2,
        p_deterministic: float = 0.7,
        p_near_context: float = 0.0,
    ):
        if max_terms < 1:
            raise ValueError(f"PosynomialPrior max_terms={max_terms} must be >= 1")
        self.p_clustered, self.p_irrelevant, self.max_terms = p_clustered, p_irrelevant, max_terms
        self.p_ratio, self.p_log, self.p_negate, self.p_deterministic = p_ratio, p_log, p_negate, p_deterministic
        self.p_near_context = p_near_context

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "p_clustered": self.p_clustered,
            "p_irrelevant": self.p_irrelevant,
            "max_terms": self.max_terms,
            "p_ratio": self.p_ratio,
            "p_log": self.p_log,
            "p_negate": self.p_negate,
            "p_deterministic": self.p_deterministic,
        } | nonzero_options(p_near_context=self.p_near_context)

    def _posynomial(self, x: Tensor, rel: Tensor, gen: torch.Generator) -> Tensor:
        """``sum_t c_t prod_j z_j^a_tj`` at ``x`` ``b x N x D`` for relevant columns ``rel`` ``b x D``: ``b x N``."""
        b, _, d_max = x.shape
        dev = x.device
        span = math.log(10.0) * (0.2 + 1.8 * uniform((b, 1, d_max), gen, dev))
        lo = math.log(10.0) * (-1.0 + 2.0 * uniform((b, 1, d_max), gen, dev))
        log_z = lo + x * span  # b x N x D
        t_max = self.max_terms
        n_terms = torch.randint(1, t_max + 1, (b, 1), generator=gen, device=dev)
        exps = torch.tensor(EXPONENTS, device=dev)[torch.randint(0, len(EXPONENTS), (b, t_max, d_max), generator=gen, device=dev)]
        # each term uses 1-3 relevant inputs: keep a random subset of the relevant columns
        keep = uniform((b, t_max, d_max), gen, dev) * rel[:, None, :]
        k_use = torch.randint(1, 4, (b, t_max, 1), generator=gen, device=dev)
        rank = keep.argsort(dim=-1, descending=True).argsort(dim=-1)
        used = (rank < k_use) & (keep > 0)
        exps = torch.where(used, exps, torch.zeros_like(exps)).to(x.dtype)  # b x T x D
        log_c = math.log(10.0) * (-2.0 + 4.0 * uniform((b, t_max), gen, dev))
        log_terms = log_c[:, None, :] + log_z @ exps.transpose(1, 2)  # b x N x T
        active = torch.arange(t_max, device=dev)[None, None, :] < n_terms[:, :, None]
        log_terms = torch.where(active, log_terms, torch.full_like(log_terms, -math.inf))
        # normalise by the largest term per data set before exp (dynamic range stays, overflow does not)
        shift = log_terms.amax(dim=(1, 2), keepdim=True)
        return torch.exp(log_terms - shift).sum(-1)  # b x N

    def sample(self, batch_size, n_points, d_max, generator, device="cpu", d=None, n_ctx=None) -> Batch:
        b, gen = batch_size, generator
        dd = draw_d(b, d_max, d, gen, device)
        x, in_cluster = design(b, n_points, dd, d_max, self.p_clustered, gen, device)
        x = place_near_context(x, dd, n_ctx, self.p_near_context, gen)
        rel = relevance_mask(dd, d_max, self.p_irrelevant, gen)
        xd = x.double()
        f = self._posynomial(xd, rel, gen)
        ratio = uniform((b, 1), gen, device) < self.p_ratio
        f_ratio = f / self._posynomial(xd, rel, gen).clamp_min(1e-300)
        f_ratio = f_ratio / f_ratio.median(dim=-1, keepdim=True).values - 1.0  # the limit near the median
        y = torch.where(ratio, f_ratio, f)
        # a smooth multiplicative perturbation: not exactly a posynomial
        n_feat = 32
        omega = torch.randn((b, d_max, n_feat), generator=gen, device=device, dtype=torch.float64) * 3.0 * rel[:, :, None]
        phase = 2 * math.pi * uniform((b, 1, n_feat), gen, device).double()
        g = torch.cos(xd @ omega + phase) @ torch.randn((b, n_feat, 1), generator=gen, device=device, dtype=torch.float64)
        g = g.squeeze(-1) * math.sqrt(2.0 / n_feat)
        perturb = uniform((b, 1), gen, device) < self.p_log
        y = torch.where(perturb, y * torch.exp(0.3 * g), y)
        y = torch.where(uniform((b, 1), gen, device) < self.p_negate, -y, y)
        # noise relative to the output's spread: mostly deterministic
        spread = y.std(-1, keepdim=True).clamp_min(1e-12)
        det = uniform((b, 1), gen, device) < self.p_deterministic
        rel_var = torch.where(
            det,
            10.0 ** (-8.0 + 4.0 * uniform((b, 1), gen, device).double()),
            torch.exp(-4.63 + 0.5 * torch.randn((b, 1), generator=gen, device=device, dtype=torch.float64)),
        )
        y = y + spread * rel_var.sqrt() * torch.randn(y.shape, generator=gen, device=device, dtype=torch.float64)
        y = make_bo_like(y.float(), in_cluster)
        extras = nan_targets(b, n_points - n_ctx, device) if n_ctx is not None and 0 < n_ctx < n_points else {}
        return Batch(x=x, y=y, d=dd, extras=extras)
