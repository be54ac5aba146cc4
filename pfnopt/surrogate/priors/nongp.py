"""Non-GP priors: random neural networks and step functions (discontinuities, as real constraints show).

Both use the same designs as the GP prior (uniform or BO-like), irrelevant inputs with probability 0.3, and
Gaussian observation noise with variance ``~ LogNormal(-4.63, 0.5)`` relative to the function's spread, or,
in a share ``p_deterministic`` of data sets (prior v2; 0 = v1), log-uniform in 1e-8..1e-4 of it (deterministic
functions). Neither has a closed-form predictive: exact-target training uses their sampled targets.
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


def _noise(y: Tensor, generator: torch.Generator, p_deterministic: float = 0.0) -> Tensor:
    b, n = y.shape
    spread = y.std(-1, keepdim=True).clamp_min(1e-3)
    var = torch.exp(-4.63 + 0.5 * torch.randn((b, 1), generator=generator, device=y.device))
    if p_deterministic > 0:
        det = uniform((b, 1), generator, y.device) < p_deterministic
        var = torch.where(det, 10.0 ** (-8.0 + 4.0 * uniform((b, 1), generator, y.device)), var)
    return y + spread * var.sqrt() * torch.randn((b, n), generator=generator, device=y.device)


def _extras(b: int, n_points: int, n_ctx: int | None, device) -> dict:
    return nan_targets(b, n_points - n_ctx, device) if n_ctx is not None and 0 < n_ctx < n_points else {}


class MLPPrior(Prior):
    """Random MLPs: 1-3 hidden layers of width 16-64, tanh / ReLU / sine, Gaussian weights."""

    name = "mlp"

    def __init__(
        self, p_clustered: float = 0.3, p_irrelevant: float = 0.3, p_deterministic: float = 0.0,
        p_near_context: float = 0.0,
    ):
        self.p_clustered, self.p_irrelevant, self.p_deterministic = p_clustered, p_irrelevant, p_deterministic
        self.p_near_context = p_near_context

    def to_dict(self) -> dict:
        d = {"name": self.name, "p_clustered": self.p_clustered, "p_irrelevant": self.p_irrelevant}
        return d | nonzero_options(p_deterministic=self.p_deterministic, p_near_context=self.p_near_context)

    def sample(self, batch_size, n_points, d_max, generator, device="cpu", d=None, n_ctx=None) -> Batch:
        b = batch_size
        dd = draw_d(b, d_max, d, generator, device)
        x, in_cluster = design(b, n_points, dd, d_max, self.p_clustered, generator, device)
        x = place_near_context(x, dd, n_ctx, self.p_near_context, generator)
        rel = relevance_mask(dd, d_max, self.p_irrelevant, generator)
        width = 32
        depth = int(torch.randint(1, 4, (1,), generator=generator).item())
        # input scale: how wiggly the function is
        in_scale = torch.exp(math.log(1.0) + 0.8 * torch.randn((b, 1, 1), generator=generator, device=device))
        w = torch.randn((b, d_max, width), generator=generator, device=device) * in_scale
        w = w * rel[:, :, None] / rel.sum(-1).clamp_min(1.0).sqrt()[:, None, None]
        h = (x - 0.5) @ w * 3.0 + torch.randn((b, 1, width), generator=generator, device=device)
        act = int(torch.randint(0, 3, (1,), generator=generator).item())

        def f(t: Tensor) -> Tensor:
            return torch.tanh(t) if act == 0 else (torch.relu(t) if act == 1 else torch.sin(t))

        h = f(h)
        for _ in range(depth - 1):
            w = torch.randn((b, width, width), generator=generator, device=device) / math.sqrt(width)
            h = f(h @ w * 1.5 + 0.5 * torch.randn((b, 1, width), generator=generator, device=device))
        out = (h @ torch.randn((b, width, 1), generator=generator, device=device)).squeeze(-1)  # b x N
        y = make_bo_like(_noise(out, generator, self.p_deterministic), in_cluster)
        return Batch(x=x, y=y, d=dd, extras=_extras(b, n_points, n_ctx, device))


class StepPrior(Prior):
    """A smooth random-feature function plus 1-3 steps across (axis-aligned or oblique) hyperplanes."""

    name = "steps"

    def __init__(
        self, p_clustered: float = 0.3, p_irrelevant: float = 0.3, n_features: int = 64, p_deterministic: float = 0.0,
        p_near_context: float = 0.0,
    ):
        self.p_clustered, self.p_irrelevant, self.n_features = p_clustered, p_irrelevant, n_features
        self.p_deterministic, self.p_near_context = p_deterministic, p_near_context

    def to_dict(self) -> dict:
        d = {"name": self.name, "p_clustered": self.p_clustered, "p_irrelevant": self.p_irrelevant}
        return d | nonzero_options(p_deterministic=self.p_deterministic, p_near_context=self.p_near_context)

    def sample(self, batch_size, n_points, d_max, generator, device="cpu", d=None, n_ctx=None) -> Batch:
        b, f = batch_size, self.n_features
        dd = draw_d(b, d_max, d, generator, device)
        x, in_cluster = design(b, n_points, dd, d_max, self.p_clustered, generator, device)
        x = place_near_context(x, dd, n_ctx, self.p_near_context, generator)
        rel = relevance_mask(dd, d_max, self.p_irrelevant, generator)
        # smooth part: random Fourier features of an RBF kernel, lengthscale log-uniform 0.2..2
        ls = torch.exp(math.log(0.2) + math.log(10.0) * uniform((b, 1, 1), generator, device))
        omega = torch.randn((b, d_max, f), generator=generator, device=device) / ls * rel[:, :, None]
        phase = 2 * math.pi * uniform((b, 1, f), generator, device)
        smooth = (torch.cos(x @ omega + phase) @ torch.randn((b, f, 1), generator=generator, device=device)).squeeze(-1)
        smooth = smooth * math.sqrt(2.0 / f) * uniform((b, 1), generator, device)
        # steps
        y = smooth
        for _ in range(3):
            active = uniform((b, 1), generator, device) < 0.6
            axis = uniform((b, 1), generator, device) < 0.5
            normal = torch.randn((b, d_max), generator=generator, device=device) * rel
            pick = torch.multinomial(rel + 1e-9, 1, generator=generator)  # one relevant input
            axis_normal = torch.zeros_like(normal).scatter_(1, pick, 1.0)
            normal = torch.where(axis, axis_normal, normal)
            normal = normal / normal.norm(dim=-1, keepdim=True).clamp_min(1e-6)
            centre = uniform((b, 1, d_max), generator, device)
            side = ((x - centre) * normal[:, None, :]).sum(-1) > 0  # b x N
            height = torch.randn((b, 1), generator=generator, device=device) * 1.5
            y = y + torch.where(active & side, height, torch.zeros_like(height))
        y = make_bo_like(_noise(y, generator, self.p_deterministic), in_cluster)
        return Batch(x=x, y=y, d=dd, extras=_extras(b, n_points, n_ctx, device))
