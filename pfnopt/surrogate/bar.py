"""Riemann "bar" distribution: a histogram over fixed borders with half-normal tails.

A predictive distribution is ``logits`` (``... x K``) over ``K`` buckets whose ``K + 1`` borders
``b_0 < ... < b_K`` are fixed. Buckets ``1 .. K-2`` are uniform on ``[b_k, b_{k+1}]``. Bucket 0 is a
half-normal extending from ``b_1`` to ``-inf`` and bucket ``K-1`` a half-normal from ``b_{K-1}`` to
``+inf``; their scales are chosen so that half of a tail bucket's mass lies inside its nominal width
(the full-support bar distribution of Müller et al., "Transformers can do Bayesian inference").

Every function here is exact for this distribution (no sampling, no numerical quadrature) and
differentiable with respect to ``logits``. ``borders`` broadcast against ``logits``: either ``K + 1``
or ``... x K + 1`` (e.g. one border set per output column in user units). Depends only on torch.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

_HALF_NORMAL_MEDIAN = 0.6744897501960817  # Phi^{-1}(0.75): the median of a unit half-normal
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _tail_scales(borders: Tensor) -> tuple[Tensor, Tensor]:
    """Half-normal scales of the left and right tail buckets: ``...`` each."""
    s_left = (borders[..., 1] - borders[..., 0]) / _HALF_NORMAL_MEDIAN
    s_right = (borders[..., -1] - borders[..., -2]) / _HALF_NORMAL_MEDIAN
    return s_left, s_right


def _norm_cdf(z: Tensor) -> Tensor:
    return 0.5 * torch.special.erfc(-z / math.sqrt(2.0))


def _log_h(u: Tensor) -> Tensor:
    """``log(phi(u) + u * Phi(u))``, accurate for very negative ``u`` (as BoTorch's log-EI helper)."""
    u = u.to(torch.float64) if u.dtype != torch.float64 else u
    big = u > -1.0
    u_big = torch.where(big, u, torch.zeros_like(u))
    h_big = torch.exp(-0.5 * u_big**2 - _LOG_SQRT_2PI) + u_big * _norm_cdf(u_big)
    out_big = torch.log(h_big.clamp_min(1e-300))
    u_small = torch.where(big, -torch.ones_like(u), u)
    au = -u_small
    x = torch.log(au) + 0.5 * math.log(math.pi / 2) + torch.log(torch.special.erfcx(au / math.sqrt(2.0)))
    # log1mexp(x) for x < 0
    log1mexp = torch.where(x > -math.log(2.0), torch.log(-torch.expm1(x)), torch.log1p(-torch.exp(x)))
    out_small = -0.5 * u_small**2 - _LOG_SQRT_2PI + log1mexp
    return torch.where(big, out_big, out_small)


def _float(t: Tensor) -> Tensor:
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t


def bucket_probs(logits: Tensor) -> Tensor:
    """Bucket masses ``... x K`` (softmax in float32 or better)."""
    return torch.softmax(logits.float() if logits.dtype in (torch.float16, torch.bfloat16) else logits, dim=-1)


def _widths(borders: Tensor) -> Tensor:
    return borders[..., 1:] - borders[..., :-1]


def log_prob(logits: Tensor, borders: Tensor, y: Tensor) -> Tensor:
    """Log density at ``y`` (shape ``...``, broadcast with ``logits[..., 0]``): ``...``."""
    logits = _float(logits)
    k = logits.shape[-1]
    y = y.to(logits.dtype)
    shape = torch.broadcast_shapes(y.shape, logits.shape[:-1], borders.shape[:-1])
    y = y.expand(shape)
    log_p = torch.log_softmax(logits, dim=-1).expand(*shape, k)
    b = borders.to(logits.dtype)
    if b.dim() == 1:
        idx = torch.searchsorted(b, y.contiguous(), right=True) - 1
        idx = idx.clamp(0, k - 1)
        log_w = torch.log(_widths(b))[idx]
    else:
        b = b.expand(*shape, k + 1).contiguous()
        idx = (torch.searchsorted(b, y.unsqueeze(-1).contiguous(), right=True).squeeze(-1) - 1).clamp(0, k - 1)
        log_w = torch.log(torch.gather(_widths(b), -1, idx.unsqueeze(-1)).squeeze(-1))
    lp = torch.gather(log_p, -1, idx.unsqueeze(-1)).squeeze(-1)
    s_left, s_right = _tail_scales(b)
    b1, bk = b[..., 1], b[..., -2]
    # half-normal densities (2 / (s sqrt(2 pi))) exp(-t^2 / 2 s^2), t >= 0
    t_left = (b1 - y).clamp_min(0.0)
    t_right = (y - bk).clamp_min(0.0)
    lp_left = math.log(2.0) - _LOG_SQRT_2PI - torch.log(s_left) - 0.5 * (t_left / s_left) ** 2
    lp_right = math.log(2.0) - _LOG_SQRT_2PI - torch.log(s_right) - 0.5 * (t_right / s_right) ** 2
    out = torch.where(y < b1, log_p[..., 0] + lp_left, lp - log_w)
    return torch.where(y >= bk, log_p[..., -1] + lp_right, out)


def nll(logits: Tensor, borders: Tensor, y: Tensor) -> Tensor:
    """Negative log density, the training loss per point: ``...``."""
    return -log_prob(logits, borders, y)


def _bucket_means(b: Tensor) -> Tensor:
    """Per-bucket means ``... x K`` (tails: half-normal means)."""
    s_left, s_right = _tail_scales(b)
    mids = 0.5 * (b[..., 1:] + b[..., :-1])
    return torch.cat(
        [
            (b[..., 1] - s_left * _SQRT_2_OVER_PI).unsqueeze(-1),
            mids[..., 1:-1],
            (b[..., -2] + s_right * _SQRT_2_OVER_PI).unsqueeze(-1),
        ],
        dim=-1,
    )


def _bucket_second_moments(b: Tensor) -> Tensor:
    """Per-bucket ``E[y^2]`` ``... x K``."""
    lo, hi = b[..., :-1], b[..., 1:]
    second = (lo**2 + lo * hi + hi**2) / 3.0
    s_left, s_right = _tail_scales(b)
    hn_var = 1.0 - 2.0 / math.pi
    ml = b[..., 1] - s_left * _SQRT_2_OVER_PI
    mr = b[..., -2] + s_right * _SQRT_2_OVER_PI
    return torch.cat(
        [(ml**2 + hn_var * s_left**2).unsqueeze(-1), second[..., 1:-1], (mr**2 + hn_var * s_right**2).unsqueeze(-1)],
        dim=-1,
    )


def _weighted(p: Tensor, per_bucket: Tensor) -> Tensor:
    """``sum_k p[..., k] * per_bucket[..., k]`` with a matmul when ``per_bucket`` is one vector."""
    if per_bucket.dim() == 1:
        return p @ per_bucket
    return (p * per_bucket).sum(-1)


def mean(logits: Tensor, borders: Tensor, probs: Tensor | None = None) -> Tensor:
    """Predictive mean: ``...`` (``probs``: precomputed ``bucket_probs(logits)``)."""
    p = bucket_probs(logits) if probs is None else probs
    return _weighted(p, _bucket_means(borders.to(p.dtype)))


def variance(logits: Tensor, borders: Tensor, probs: Tensor | None = None) -> Tensor:
    """Predictive variance: ``...``. Accurate when the borders are on a standardised scale."""
    p = bucket_probs(logits) if probs is None else probs
    b = borders.to(p.dtype)
    m = _weighted(p, _bucket_means(b))
    return (_weighted(p, _bucket_second_moments(b)) - m**2).clamp_min(0.0)


def cdf(logits: Tensor, borders: Tensor, v: Tensor, probs: Tensor | None = None) -> Tensor:
    """``P(y <= v)`` for ``v`` broadcast with ``logits[..., 0]``: ``...``."""
    p = bucket_probs(logits) if probs is None else probs
    b = borders.to(p.dtype)
    v = torch.as_tensor(v, dtype=p.dtype, device=p.device)
    vv = v.unsqueeze(-1)
    lo, hi = b[..., :-1], b[..., 1:]
    frac = ((vv - lo) / (hi - lo)).clamp(0.0, 1.0)
    s_left, s_right = _tail_scales(b)
    f_left = torch.where(v < b[..., 1], 2.0 * _norm_cdf(-(b[..., 1] - v) / s_left), torch.ones_like(v))
    f_right = torch.where(v > b[..., -2], 2.0 * _norm_cdf((v - b[..., -2]) / s_right) - 1.0, torch.zeros_like(v))
    shape = torch.broadcast_shapes(f_left.shape, frac.shape[:-1])
    frac = torch.cat(
        [
            f_left.expand(shape).unsqueeze(-1),
            frac.expand(*shape, frac.shape[-1])[..., 1:-1],
            f_right.expand(shape).unsqueeze(-1),
        ],
        dim=-1,
    )
    return _weighted(p, frac).clamp(0.0, 1.0) if frac.dim() > 1 else (p @ frac).clamp(0.0, 1.0)


def quantile(logits: Tensor, borders: Tensor, q: Tensor, probs: Tensor | None = None) -> Tensor:
    """The ``q``-quantile (``q`` in (0, 1), broadcast with ``logits[..., 0]``): ``...``."""
    p = bucket_probs(logits) if probs is None else probs
    b = borders.to(p.dtype)
    q = torch.as_tensor(q, dtype=p.dtype, device=p.device)
    shape = torch.broadcast_shapes(p.shape[:-1], q.shape)
    p = p.expand(*shape, p.shape[-1])
    b = b.expand(*shape, b.shape[-1])
    q = q.expand(shape)
    k = p.shape[-1]
    cum = torch.cumsum(p, dim=-1)  # ... x K, mass up to the end of each bucket
    idx = torch.searchsorted(cum.contiguous(), q.unsqueeze(-1).contiguous()).squeeze(-1).clamp(0, k - 1)
    before = torch.gather(cum, -1, idx.unsqueeze(-1)).squeeze(-1) - torch.gather(p, -1, idx.unsqueeze(-1)).squeeze(-1)
    pk = torch.gather(p, -1, idx.unsqueeze(-1)).squeeze(-1).clamp_min(1e-30)
    u = ((q - before) / pk).clamp(1e-12, 1.0 - 1e-12)  # position inside the bucket, in its own cdf
    lo = torch.gather(b, -1, idx.unsqueeze(-1)).squeeze(-1)
    hi = torch.gather(b, -1, (idx + 1).unsqueeze(-1)).squeeze(-1)
    inner = lo + u * (hi - lo)
    s_left, s_right = _tail_scales(b)
    ndtri = torch.special.ndtri
    left = b[..., 1] + s_left * ndtri(u / 2.0)  # u = 2 Phi(-(b1 - v) / s)
    right = b[..., -2] + s_right * ndtri((1.0 + u) / 2.0)  # u = 2 Phi((v - b) / s) - 1
    out = torch.where(idx == 0, left, inner)
    return torch.where(idx == k - 1, right, out)


def _bucket_ei(b: Tensor, best: Tensor, log: bool) -> Tensor:
    """Per-bucket expected improvement below ``best`` (float64), or its log with ``log=True``: ``... x K``.

    ``b`` (``K + 1``, or ``... x K+1`` per output) is NOT expanded to ``best``'s shape: terms that depend on the
    borders alone stay at their own size, and only those involving ``best`` (a scalar, one per output, or one
    per candidate and output when a trend shifts each candidate) are computed at full size."""
    bu = best.unsqueeze(-1)
    lo, hi = b[..., :-1], b[..., 1:]
    full = bu >= hi
    part = (bu > lo) & ~full
    if log:
        log_2w = torch.log(2.0 * (hi - lo))
        mid = torch.where(
            full,
            torch.log((bu - 0.5 * (lo + hi)).clamp_min(1e-300)),
            torch.where(part, 2.0 * torch.log((bu - lo).clamp_min(1e-300)) - log_2w, -math.inf),
        )
    else:
        mid = torch.where(full, bu - 0.5 * (lo + hi), torch.where(part, (bu - lo).clamp_min(0.0) ** 2 / (2.0 * (hi - lo)), 0.0))
    s_left, s_right = _tail_scales(b)
    # left tail: y = b1 - t, t ~ HN(s); EI = E[(t - c)+] with c = b1 - best; = 2 s h(-c / s)
    # (for c < 0 the whole tail improves: EI = E[t] - c)
    c = b[..., 1] - best
    log_left = torch.where(
        c >= 0,
        math.log(2.0) + torch.log(s_left) + _log_h(-c.clamp_min(0.0) / s_left),
        torch.log((s_left * _SQRT_2_OVER_PI - c).clamp_min(1e-300)),
    )
    # right tail: y = b + t; EI = E[(c - t)+], c = best - b; = c - s sqrt(2/pi) + 2 s h(-c / s) for c > 0
    c_r = best - b[..., -2]
    right_val = (c_r - s_right * _SQRT_2_OVER_PI + 2.0 * s_right * torch.exp(_log_h(-c_r / s_right))).clamp_min(0.0)
    right = torch.where(c_r > 0, right_val, torch.zeros_like(c_r))
    if log:
        left, right = log_left, torch.where(right > 0, torch.log(right.clamp_min(1e-300)), -math.inf)
    else:
        left = torch.exp(log_left)
    shape = mid.shape[:-1]
    return torch.cat([left.expand(shape).unsqueeze(-1), mid[..., 1:-1], right.expand(shape).unsqueeze(-1)], dim=-1)


def expected_improvement(logits: Tensor, borders: Tensor, best: Tensor, probs: Tensor | None = None) -> Tensor:
    """``E[max(best - y, 0)]`` (improvement below ``best``, i.e. minimisation): ``...``.

    The per-bucket terms are computed in float64 at the shape of ``best`` (e.g. one value per output), then
    weighted by the bucket masses, so a scalar or per-output ``best`` costs one pass over the logits."""
    p = bucket_probs(_float(logits)) if probs is None else probs
    best = torch.as_tensor(best, dtype=torch.float64, device=p.device)
    return _weighted(p, _bucket_ei(borders.to(torch.float64), best, log=False).to(p.dtype))


def log_expected_improvement(logits: Tensor, borders: Tensor, best: Tensor) -> Tensor:
    """``log E[max(best - y, 0)]``, finite far below the data (the tails are analytic): ``...``."""
    log_p = torch.log_softmax(_float(logits), dim=-1)
    best = torch.as_tensor(best, dtype=torch.float64, device=log_p.device)
    log_ei = _bucket_ei(borders.to(torch.float64), best, log=True)
    return torch.logsumexp(log_p + log_ei.to(log_p.dtype), dim=-1)


def equal_mass_borders(samples: Tensor, n_buckets: int) -> Tensor:
    """Borders at equal-mass quantiles of prior samples: ``K + 1``.

    Interior borders ``b_1 .. b_{K-1}`` are the ``k / K`` quantiles; the outer ``b_0`` and ``b_K`` are the
    ``1 / 2K`` and ``1 - 1 / 2K`` quantiles, so each half-normal tail has its median where the data says.
    """
    s = samples.flatten().double()
    s = s[torch.isfinite(s)]
    levels = torch.linspace(0.0, 1.0, n_buckets + 1, dtype=torch.float64)
    levels[0] = 0.5 / n_buckets
    levels[-1] = 1.0 - 0.5 / n_buckets
    if s.numel() > 8_000_000:
        s = s[torch.randperm(s.numel())[:8_000_000]]
    b = torch.quantile(s, levels)
    # strictly increasing (ties appear with discrete priors)
    eps = 1e-6 * (b[-1] - b[0]).clamp_min(1e-6)
    for i in range(1, b.numel()):
        if b[i] <= b[i - 1]:
            b[i] = b[i - 1] + eps
    return b.float()


def gaussian_bucket_masses(mu: Tensor, sigma: Tensor, borders: Tensor) -> Tensor:
    """The mass a Gaussian ``N(mu, sigma^2)`` puts in each bucket: ``... x K``, summing to 1.

    Interior bucket ``k`` gets ``Phi(b_{k+1}) - Phi(b_k)`` (standardised), the tail buckets everything beyond
    ``b_1`` and ``b_{K-1}``: the bar distribution closest to the Gaussian in cross-entropy. Differences are
    taken on the side of the mean where both cdf values are small (``Phi(-z)`` above the mean), so masses far
    in a tail and of very narrow Gaussians keep their precision. ``mu``, ``sigma``: ``...``; ``borders``: ``K + 1``.
    """
    z = (borders.to(mu.dtype)[1:-1] - mu.unsqueeze(-1)) / sigma.clamp_min(1e-30).unsqueeze(-1)  # ... x K-1
    lower = torch.special.ndtr(z)  # P(y <= b_k), k = 1 .. K-1
    upper = torch.special.ndtr(-z)  # P(y > b_k)
    inner_hi = torch.where(z[..., :-1] > 0, upper[..., :-1] - upper[..., 1:], lower[..., 1:] - lower[..., :-1])
    masses = torch.cat([lower[..., :1], inner_hi.clamp_min(0.0), upper[..., -1:]], dim=-1)
    return masses / masses.sum(-1, keepdim=True)


def cross_entropy(logits: Tensor, masses: Tensor) -> Tensor:
    """``-sum_k masses_k log softmax(logits)_k``: ``...``. With one-hot masses this is the bar NLL of a point
    in that bucket less its (model-independent) log-width term; both have the same gradient."""
    return -(masses * torch.log_softmax(_float(logits), dim=-1)).sum(-1)


def expected_log_width(masses: Tensor, borders: Tensor) -> Tensor:
    """``sum_k masses_k log w_k`` (``...``): added to ``cross_entropy`` it puts the exact-target loss on the NLL
    scale of sampled targets (tail buckets counted at their nominal width), for logging only."""
    return masses @ torch.log(_widths(borders.to(masses.dtype)))


def refine_borders(borders: Tensor, pieces: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Split interior bucket ``k`` into ``pieces[k]`` equal buckets (tail buckets are never split).

    Returns ``(new_borders, parent, log_share)``: ``K' + 1`` borders, and per new bucket its parent bucket
    (``K'``, long) and the log of its share of the parent's width (``K'``). A bar distribution on the old
    borders with logits ``l`` is exactly the one on the new borders with logits ``l[parent] + log_share``
    (mass spread uniformly over the pieces), which warm-starts a finer head with no change of prediction.
    ``pieces``: ``K`` positive ints with ``pieces[0] == pieces[-1] == 1``.
    """
    k = borders.numel() - 1
    if pieces.numel() != k or int(pieces[0]) != 1 or int(pieces[-1]) != 1 or bool((pieces < 1).any()):
        raise ValueError(f"refine_borders: pieces needs {k} values >= 1 with 1 at both tails, got {pieces.tolist()}")
    b = borders.double()
    new, parent, share = [b[:1]], [], []
    for j in range(k):
        p = int(pieces[j])
        t = torch.linspace(0.0, 1.0, p + 1, dtype=torch.float64)[1:]
        new.append(b[j] + t * (b[j + 1] - b[j]))
        parent += [j] * p
        share += [1.0 / p] * p
    return (
        torch.cat(new).to(borders.dtype),
        torch.tensor(parent, dtype=torch.long),
        torch.log(torch.tensor(share, dtype=torch.float64)).to(borders.dtype),
    )
