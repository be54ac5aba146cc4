"""A mixture of priors ("prior bag"): each data set of a batch comes from one component, drawn by weight."""

from __future__ import annotations

import torch

from pfnopt.surrogate.priors.base import Batch, Prior, nan_targets


class PriorBag(Prior):
    name = "bag"

    def __init__(self, priors: list[Prior], weights: list[float]):
        if len(priors) != len(weights) or not priors:
            raise ValueError(f"PriorBag needs one weight per prior, got {len(priors)} priors, {len(weights)} weights")
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ValueError(f"PriorBag weights={weights} must be >= 0 with a positive sum")
        self.priors = priors
        self.weights = torch.tensor(weights, dtype=torch.float64) / sum(weights)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "components": [p.to_dict() for p in self.priors],
            "weights": [round(float(w), 6) for w in self.weights],
        }

    def sample(self, batch_size, n_points, d_max, generator, device="cpu", d=None, n_ctx=None) -> Batch:
        draw = torch.multinomial(self.weights.float(), batch_size, replacement=True, generator=generator)
        counts = torch.bincount(draw, minlength=len(self.priors)).tolist()
        kw = {} if n_ctx is None else {"n_ctx": n_ctx}
        parts = [p.sample(c, n_points, d_max, generator, device, d, **kw) for p, c in zip(self.priors, counts) if c > 0]
        x = torch.cat([b.x for b in parts])
        y = torch.cat([b.y for b in parts])
        dd = torch.cat([b.d for b in parts])
        perm = torch.randperm(batch_size, generator=generator, device=generator.device).to(x.device)
        extras = {}
        if n_ctx is not None and 0 < n_ctx < n_points:  # the exact predictive where a component has one
            for key in ("target_mean", "target_std"):
                vals = [b.extras.get(key, nan_targets(len(b), n_points - n_ctx, x.device)[key]) for b in parts]
                extras[key] = torch.cat(vals)[perm]
        return Batch(x=x[perm], y=y[perm], d=dd[perm], extras=extras)
