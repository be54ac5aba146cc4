"""The learning-curve PFN at inference: given the first epochs of a run, the distribution of later epochs.

The model is a :class:`PFNTransformer` trained on ``priors.curves.CurvePrior`` (preset ``curve``): one curve
is one data set, its context the observed prefix (epochs ``1..n``), its inputs ``(t / T, log t / log T)``
for a run of ``T`` epochs. Values are standardised with the prefix's mean and standard deviation, as in
training; the predictive distribution is a bar distribution mapped back to the curve's units.

Shapes: ``b`` curves, ``n`` observed epochs, ``q`` query epochs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from pfnopt.surrogate import bar
from pfnopt.surrogate.checkpoint import load_checkpoint
from pfnopt.surrogate.model import PFNTransformer, standardize
from pfnopt.surrogate.priors.curves import curve_inputs

CURVE_CHECKPOINT = Path(__file__).resolve().parent / "checkpoints" / "curve"
_CACHE: dict[str, "CurvePFN"] = {}


@dataclass
class CurveForecast:
    """Predictive distributions of ``b x q`` future values (bar logits ``b x q x K`` on the standardised
    scale, ``loc``/``scale`` ``b x 1 x 1`` to map back)."""

    logits: Tensor
    borders: Tensor
    loc: Tensor
    scale: Tensor

    def cdf(self, v: Tensor | float) -> Tensor:
        """``P(value <= v)``: ``v`` broadcastable to ``b x q``; returns ``b x q``."""
        v = torch.as_tensor(v, dtype=torch.float32)
        z = (v - self.loc[..., 0]) / self.scale[..., 0]
        return bar.cdf(self.logits, self.borders, z.expand(self.logits.shape[:-1]))

    def mean(self) -> Tensor:
        """``b x q`` predictive means."""
        return bar.mean(self.logits, self.borders) * self.scale[..., 0] + self.loc[..., 0]

    def quantile(self, q: float) -> Tensor:
        """``b x q`` predictive ``q``-quantiles."""
        p = torch.full(self.logits.shape[:-1], float(q))
        return bar.quantile(self.logits, self.borders, p) * self.scale[..., 0] + self.loc[..., 0]


class CurvePFN:
    """A loaded curve PFN; ``CurvePFN.load()`` reads the packaged checkpoint (cached per path)."""

    def __init__(self, model: PFNTransformer, record: dict):
        self.model = model.eval()
        self.record = record
        self.n_max = model.cfg.n_max

    @classmethod
    def load(cls, path: str | Path | None = None) -> CurvePFN:
        key = str(Path(path or CURVE_CHECKPOINT).resolve())
        if key not in _CACHE:
            model, record = load_checkpoint(key)
            _CACHE[key] = cls(model, record)
        return _CACHE[key]

    @torch.no_grad()
    def forecast(self, values: Tensor, horizon: int, epochs: Tensor | list[int]) -> CurveForecast:
        """Distributions of the values at ``epochs`` (``q``, each in ``n+1..horizon``) of ``b`` runs whose
        epochs ``1..n`` gave ``values`` (``b x n``, ``n >= 1``). Prefixes longer than the model's ``n_max``
        are thinned evenly (keeping the last epoch)."""
        values = torch.as_tensor(values, dtype=torch.float32)
        if values.dim() == 1:
            values = values[None]
        b, n = values.shape
        t_ctx = torch.arange(1, n + 1, dtype=torch.float32)
        if n > self.n_max:
            keep = torch.linspace(0, n - 1, self.n_max).round().long()
            values, t_ctx = values[:, keep], t_ctx[keep]
        t_new = torch.as_tensor(epochs, dtype=torch.float32).flatten()
        h = torch.tensor([[float(horizon)]])
        x = curve_inputs(torch.cat([t_ctx, t_new])[None], h).expand(b, -1, -1)
        pad = self.model.cfg.d_max - x.shape[-1]
        if pad > 0:
            x = torch.nn.functional.pad(x, (0, pad))
        loc, scale = standardize(values)
        d = torch.full((b,), 2, dtype=torch.long)
        logits = self.model(x, (values - loc) / scale, d).float()
        return CurveForecast(logits, self.model.borders, loc[..., None], scale[..., None])
